package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	gothgoogle "github.com/markbates/goth/providers/google"
	"golang.org/x/oauth2"

	"github.com/service-connector/service-connector/handlers"
)

// googleScopes are what the portal asks Google for: who the person is, and nothing more.
var googleScopes = []string{"openid", "email", "profile"}

// GoogleEndpoints are where the portal talks to Google. Specs point them at a fake Google.
type GoogleEndpoints struct {
	AuthURL     string // the consent page the browser is sent to
	TokenURL    string // where the code is traded for a token
	UserInfoURL string // who signed in: email, verified_email, hd
}

// GoogleDefaults returns Google's real endpoints, the ones goth's Google provider uses.
func GoogleDefaults() GoogleEndpoints {
	return GoogleEndpoints{
		AuthURL:     "https://accounts.google.com/o/oauth2/auth",
		TokenURL:    "https://oauth2.googleapis.com/token",
		UserInfoURL: "https://www.googleapis.com/oauth2/v2/userinfo",
	}
}

// googleSignIn is the portal's Google sign-in, through goth's Google provider. goth keeps
// Google's endpoint in a package variable; newGoogleSignIn is the one place that sets it.
type googleSignIn struct {
	provider *gothgoogle.Provider
}

// newGoogleSignIn returns the Google sign-in for the portal at baseURL. client carries the
// token and userinfo calls and must have a timeout: goth gives them no context. When ep is
// not Google's own (specs run a fake Google), the client sends the userinfo call, whose
// address goth fixes, to ep.UserInfoURL instead.
func newGoogleSignIn(clientID string, clientSecret string, baseURL string, ep GoogleEndpoints, client *http.Client) *googleSignIn {
	gothgoogle.Endpoint = oauth2.Endpoint{AuthURL: ep.AuthURL, TokenURL: ep.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	p := gothgoogle.New(clientID, clientSecret, baseURL+"/auth/google/callback", googleScopes...)
	c := *client
	if ep.UserInfoURL != GoogleDefaults().UserInfoURL {
		c.Transport = userInfoRedirect{to: ep.UserInfoURL, next: client.Transport}
	}
	p.HTTPClient = &c
	return &googleSignIn{provider: p}
}

// AuthURL returns Google's consent page for a sign-in carrying state.
func (g *googleSignIn) AuthURL(state string) (string, error) {
	sess, err := g.provider.BeginAuth(state)
	if err != nil {
		return "", fmt.Errorf("begin google sign-in: %w", err)
	}
	return sess.GetAuthURL()
}

// User trades the code for a token and asks Google who signed in. The token is used once and
// dropped: the portal keeps no Google token, and never puts one in an error.
func (g *googleSignIn) User(_ context.Context, code string) (handlers.GoogleUser, error) {
	sess := &gothgoogle.Session{}
	if _, err := sess.Authorize(g.provider, url.Values{"code": {code}}); err != nil {
		return handlers.GoogleUser{}, fmt.Errorf("exchange google code: %w", oauth2Failure(err))
	}
	u, err := g.provider.FetchUser(sess)
	if err != nil {
		// goth's error names the provider and the status, never the token.
		return handlers.GoogleUser{}, fmt.Errorf("fetch google user: %w", err)
	}
	return handlers.GoogleUser{
		Email:         u.Email,
		EmailVerified: verifiedClaim(u.RawData),
		HostedDomain:  stringClaim(u.RawData, "hd"),
	}, nil
}

// userInfoRedirect sends requests for Google's userinfo endpoint to another address.
type userInfoRedirect struct {
	to   string
	next http.RoundTripper
}

func (r userInfoRedirect) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.String(), GoogleDefaults().UserInfoURL) {
		target, err := url.Parse(r.to)
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		target.RawQuery = req.URL.RawQuery
		req.URL, req.Host = target, target.Host
	}
	next := r.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(req)
}

// oauth2Failure keeps the status of a failed token call but drops its body, which may echo
// what was sent.
func oauth2Failure(err error) error {
	if re, ok := err.(*oauth2.RetrieveError); ok && re.Response != nil {
		return fmt.Errorf("token endpoint answered status %d", re.Response.StatusCode)
	}
	return err
}

// verifiedClaim reads Google's verified flag, which the v2 userinfo endpoint calls
// verified_email and OpenID Connect's calls email_verified; only a JSON true counts.
func verifiedClaim(raw map[string]any) bool {
	for _, name := range []string{"email_verified", "verified_email"} {
		if v, ok := raw[name].(bool); ok {
			return v
		}
	}
	return false
}

func stringClaim(raw map[string]any, name string) string {
	s, _ := raw[name].(string)
	return s
}
