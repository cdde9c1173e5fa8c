package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// Session keys and the gin context key of the signed-in user.
const (
	sessionEmail    = "email"
	sessionUsername = "username"
	userKey         = "sc.user"
)

// SessionEmailKey is the session value that names the signed-in person's email: the
// session store finds a person's sessions by it, to end them all when they are offboarded.
const SessionEmailKey = sessionEmail

// normalize trims and lower-cases an email the way identity does, ASCII letters only, so a
// look-alike outside ASCII never turns into another person's address (or an admin's).
func normalize(email string) string { return services.LowerASCII(strings.TrimSpace(email)) }

// signIn starts a fresh session for the person: nothing of an earlier session survives.
func signIn(c *gin.Context, user services.User) error {
	s := sessions.Default(c)
	s.Clear()
	s.Set(sessionEmail, user.Email)
	s.Set(sessionUsername, user.Username)
	return s.Save()
}

// sessionUser returns the signed-in person, if any.
func sessionUser(c *gin.Context) (services.User, bool) {
	s := sessions.Default(c)
	email, _ := s.Get(sessionEmail).(string)
	username, _ := s.Get(sessionUsername).(string)
	if email == "" || username == "" {
		return services.User{}, false
	}
	return services.User{Email: email, Username: username}, true
}

// currentUser returns the person RequireUser let through.
func currentUser(c *gin.Context) services.User {
	u, _ := c.Get(userKey)
	user, _ := u.(services.User)
	return user
}

// RequirePage and RequireAPI name the signed-in person as the actor of whatever the request
// does (connector.WithActor), so the audit log records who did it: the person, or the admin.

// RequirePage lets signed-in people through and sends everyone else to /login, remembering
// the page they asked for (a GET only: after sign-in the browser can only GET it again).
func (h *Handlers) RequirePage(c *gin.Context) {
	user, ok := sessionUser(c)
	if !ok {
		target := "/login"
		if c.Request.Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
		}
		c.Redirect(http.StatusSeeOther, target)
		c.Abort()
		return
	}
	c.Set(userKey, user)
	c.Request = c.Request.WithContext(connector.WithActor(c.Request.Context(), user.Email))
	c.Next()
}

// RequireAPI lets signed-in people through and answers 401 to everyone else.
func (h *Handlers) RequireAPI(c *gin.Context) {
	user, ok := sessionUser(c)
	if !ok {
		c.AbortWithStatusJSON(http.StatusUnauthorized, apiResult{Success: false, Message: "Sign in first."})
		return
	}
	c.Set(userKey, user)
	c.Request = c.Request.WithContext(connector.WithActor(c.Request.Context(), user.Email))
	c.Next()
}

// RequireFragment is RequirePage for HTMX requests: htmx follows a redirect by swapping the
// login page into a card, so it is told to load the sign-in page instead.
func (h *Handlers) RequireFragment(c *gin.Context) {
	if _, ok := sessionUser(c); !ok && isHTMX(c) {
		c.Header("HX-Redirect", "/login")
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	h.RequirePage(c)
}

// safeNext returns target if it is a path on this site, and "/" otherwise, so sign-in can
// never be used to send someone to another site.
func safeNext(target string) string {
	if target == "" || !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || strings.ContainsAny(target, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(target)
	if err != nil || u.IsAbs() || u.Host != "" {
		return "/"
	}
	return target
}

// flash keeps a one-time message in the session for the next page (plain form posts).
func addFlash(c *gin.Context, kind, message string) {
	s := sessions.Default(c)
	s.AddFlash(kind + "\x00" + message)
	_ = s.Save()
}

func takeFlash(c *gin.Context) (kind, message string, ok bool) {
	s := sessions.Default(c)
	flashes := s.Flashes()
	if len(flashes) == 0 {
		return "", "", false
	}
	_ = s.Save()
	raw, _ := flashes[len(flashes)-1].(string)
	kind, message, ok = strings.Cut(raw, "\x00")
	return kind, message, ok
}

// cardResultFlash is the session's flash key for what an action on a card did, which the
// dashboard shows in that card after a plain form post.
const cardResultFlash = "card"

// keepCardResult keeps what an action did for the next page, after a plain form post.
func keepCardResult(c *gin.Context, res cardResult) {
	data, err := json.Marshal(res)
	if err != nil {
		return
	}
	s := sessions.Default(c)
	s.AddFlash(string(data), cardResultFlash)
	_ = s.Save()
}

// takeCardResult returns, once, what the last action on a card did.
func takeCardResult(c *gin.Context) (cardResult, bool) {
	s := sessions.Default(c)
	flashes := s.Flashes(cardResultFlash)
	if len(flashes) == 0 {
		return cardResult{}, false
	}
	_ = s.Save()
	raw, _ := flashes[len(flashes)-1].(string)
	var res cardResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil || res.ServiceID == "" {
		return cardResult{}, false
	}
	return res, true
}
