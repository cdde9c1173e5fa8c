package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
)

// Session keys of a Google sign-in under way.
const (
	sessionOAuthState = "oauth_state"
	sessionOAuthNext  = "oauth_next"
)

// GoogleLogin serves GET /auth/google: it remembers a fresh random state and the page asked
// for, then sends the browser to Google.
func (h *Handlers) GoogleLogin(c *gin.Context) {
	if h.google == nil {
		h.NotFound(c)
		return
	}
	state := rand.Text()
	s := sessions.Default(c)
	s.Set(sessionOAuthState, state)
	s.Set(sessionOAuthNext, safeNext(c.Query("next")))
	if err := s.Save(); err != nil {
		h.fail(c, services.Wrap(services.EInternal, err, "save session"))
		return
	}
	target, err := h.google.AuthURL(state)
	if err != nil {
		h.fail(c, services.Wrap(services.EUnavailable, err, "Google sign-in is not available right now."))
		return
	}
	c.Redirect(http.StatusFound, target)
}

// GoogleCallback serves GET /auth/google/callback: Google sends the person back here. The
// state must be the one this browser was given, and it is spent at once, so a forged or
// replayed answer is refused. Only a verified email in an allowed domain, with Google's hd
// claim matching, gets a session.
func (h *Handlers) GoogleCallback(c *gin.Context) {
	if h.google == nil {
		h.NotFound(c)
		return
	}
	s := sessions.Default(c)
	want, _ := s.Get(sessionOAuthState).(string)
	next, _ := s.Get(sessionOAuthNext).(string)
	// Whatever happens next, this browser holds no sign-in in progress and no earlier identity.
	s.Clear()
	if err := s.Save(); err != nil {
		h.fail(c, services.Wrap(services.EInternal, err, "save session"))
		return
	}
	got := c.Query("state")
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		h.log.Warn("google sign-in refused", "reason", "state mismatch")
		h.render(c, http.StatusForbidden, components.ErrorPage("Sign-in refused",
			"This sign-in answer does not belong to a sign-in started in this browser, or was already used. Please sign in again."))
		return
	}
	if c.Query("error") != "" {
		h.auditRefusal(c, "", "google", "Google did not sign the person in")
		h.refuseSignIn(c, http.StatusForbidden, "Google did not sign you in. Please try again.")
		return
	}
	code := c.Query("code")
	if code == "" {
		h.refuseSignIn(c, http.StatusBadRequest, "Google's answer carried no sign-in code. Please try again.")
		return
	}
	gu, err := h.google.User(c.Request.Context(), code)
	if err != nil {
		h.logError(c, services.Wrap(services.EUnavailable, err, "google sign-in"))
		h.refuseSignIn(c, http.StatusBadGateway, "Could not complete the sign-in with Google. Please try again.")
		return
	}
	email := normalize(gu.Email)
	if reason := h.googleRefusal(gu, email); reason != "" {
		h.log.Warn("google sign-in refused", "user", email, "reason", reason)
		h.auditRefusal(c, email, "google", reason)
		h.refuseSignIn(c, http.StatusForbidden, reason)
		return
	}
	username, err := h.identity.Username(email)
	if err != nil {
		h.logError(c, err)
		h.auditRefusal(c, email, "google", services.ErrorMessage(err))
		h.refuseSignIn(c, http.StatusForbidden, services.ErrorMessage(err))
		return
	}
	if err := signIn(c, services.User{Email: email, Username: username}); err != nil {
		h.fail(c, services.Wrap(services.EInternal, err, "save session"))
		return
	}
	h.log.Info("signed in", "user", email, "username", username, "method", "google")
	h.auditSignIn(c, services.User{Email: email, Username: username}, "google")
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

// googleRefusal says, in plain words, why Google's answer lets nobody in; "" when it does.
func (h *Handlers) googleRefusal(gu GoogleUser, email string) string {
	_, domain, ok := strings.Cut(email, "@")
	switch {
	case email == "" || !ok:
		return "Google did not tell us your email address, so you cannot sign in."
	case !gu.EmailVerified:
		return "Your Google email address " + email + " is not verified, so you cannot sign in."
	case !h.domains[domain]:
		return email + " is not in a domain allowed to use this portal."
	case gu.HostedDomain == "":
		return "You signed in with a personal Google account; please use your organisation's Google account."
	case !h.domains[strings.ToLower(gu.HostedDomain)]:
		return "Your Google account belongs to an organisation that is not allowed to use this portal."
	}
	return ""
}

// refuseSignIn shows the sign-in page with why the person was not let in.
func (h *Handlers) refuseSignIn(c *gin.Context, status int, reason string) {
	h.render(c, status, components.LoginPage(h.loginProps("/", reason)))
}
