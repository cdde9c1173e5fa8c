package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/markbates/goth"
	"golang.org/x/oauth2"

	"github.com/service-connector/service-connector/handlers"
)

// googleScopes are what the portal asks Google for: who the person is, and nothing more.
var googleScopes = []string{"openid", "email", "profile"}

// maxUserInfo bounds Google's userinfo answer.
const maxUserInfo = 64 << 10

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

// googleSignIn is the portal's Google sign-in: an OAuth 2.0 client for Google's endpoints,
// answering with goth's User. It keeps no package-level state (no goth.UseProviders, no
// gothic store), so the provider is set up in this one place and specs can run it side by side.
type googleSignIn struct {
	config   oauth2.Config
	userInfo string
	client   *http.Client
}

// newGoogleSignIn returns the Google sign-in for the portal at baseURL; client carries the
// token and userinfo calls.
func newGoogleSignIn(clientID string, clientSecret string, baseURL string, ep GoogleEndpoints, client *http.Client) *googleSignIn {
	return &googleSignIn{
		config: oauth2.Config{
			ClientID:     clientID,
			ClientSecret: clientSecret,
			RedirectURL:  baseURL + "/auth/google/callback",
			Endpoint:     oauth2.Endpoint{AuthURL: ep.AuthURL, TokenURL: ep.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
			Scopes:       googleScopes,
		},
		userInfo: ep.UserInfoURL,
		client:   client,
	}
}

// AuthURL returns Google's consent page for a sign-in carrying state.
func (g *googleSignIn) AuthURL(state string) (string, error) {
	return g.config.AuthCodeURL(state), nil
}

// User trades the code for a token and asks Google who signed in. The token is used once and
// dropped: the portal keeps no Google token, and never puts one in an error.
func (g *googleSignIn) User(ctx context.Context, code string) (handlers.GoogleUser, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, g.client)
	tok, err := g.config.Exchange(ctx, code)
	if err != nil {
		return handlers.GoogleUser{}, fmt.Errorf("exchange google code: %w", oauth2Failure(err))
	}
	u, err := g.fetchUser(ctx, tok)
	if err != nil {
		return handlers.GoogleUser{}, err
	}
	return handlers.GoogleUser{
		Email:         u.Email,
		EmailVerified: verifiedClaim(u.RawData),
		HostedDomain:  stringClaim(u.RawData, "hd"),
	}, nil
}

func (g *googleSignIn) fetchUser(ctx context.Context, tok *oauth2.Token) (goth.User, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.userInfo, nil)
	if err != nil {
		return goth.User{}, fmt.Errorf("fetch google user: %w", err)
	}
	tok.SetAuthHeader(req)
	resp, err := g.client.Do(req)
	if err != nil {
		return goth.User{}, fmt.Errorf("fetch google user: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return goth.User{}, fmt.Errorf("fetch google user: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfo))
	if err != nil {
		return goth.User{}, fmt.Errorf("fetch google user: %w", err)
	}
	u := goth.User{Provider: "google"}
	if err := json.Unmarshal(body, &u.RawData); err != nil {
		return goth.User{}, fmt.Errorf("fetch google user: answer is not a JSON object")
	}
	u.Email = stringClaim(u.RawData, "email")
	u.UserID = stringClaim(u.RawData, "id")
	return u, nil
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
