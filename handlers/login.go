package handlers

import (
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
)

// LoginPage serves GET /login: the sign-in page. A signed-in person goes straight on.
func (h *Handlers) LoginPage(c *gin.Context) {
	next := safeNext(c.Query("next"))
	if _, ok := sessionUser(c); ok {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	h.render(c, http.StatusOK, components.LoginPage(h.loginProps(next, "")))
}

func (h *Handlers) loginProps(next, errMsg string) components.LoginProps {
	return components.LoginProps{
		DevLogin:   h.demo,
		DemoPeople: h.demoPeople,
		DemoFaults: h.demoFaults,
		Google:     !h.demo,
		Next:       next,
		Error:      errMsg,
	}
}

// DevLogin serves POST /auth/dev-login (demo only): sign in as the email in the form.
func (h *Handlers) DevLogin(c *gin.Context) {
	next := safeNext(c.PostForm("next"))
	email := normalize(c.PostForm("email"))
	username, err := h.identity.Username(email)
	if err != nil {
		h.logError(c, err)
		h.auditRefusal(c, email, "dev", services.ErrorMessage(err))
		h.render(c, statusOf(err), components.LoginPage(h.loginProps(next, services.ErrorMessage(err))))
		return
	}
	if err := signIn(c, services.User{Email: email, Username: username}); err != nil {
		h.fail(c, services.Wrap(services.EInternal, err, "save session"))
		return
	}
	h.log.Info("signed in", "user", email, "username", username, "method", "dev")
	h.auditSignIn(c, services.User{Email: email, Username: username}, "dev")
	c.Redirect(http.StatusSeeOther, next)
}

// Logout serves POST /logout: the session ends and the person is back at the sign-in page.
func (h *Handlers) Logout(c *gin.Context) {
	user, signedIn := sessionUser(c)
	s := sessions.Default(c)
	s.Clear()
	s.Options(sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if err := s.Save(); err != nil {
		h.log.Error("clear session", "err", err)
	} else if signedIn {
		h.auditSignOut(c, user)
	}
	c.Redirect(http.StatusSeeOther, "/login")
}
