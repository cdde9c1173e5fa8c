// Package dbsession keeps the portal's sessions on the server, in the database: the
// browser's cookie holds only a random session id. Signing out deletes the session, so a
// copy of the cookie made before is refused afterwards; offboarding deletes every session
// of the person; a session ends at its absolute lifetime, which activity never extends, and
// its cookie ends with it. It implements gin-contrib/sessions' Store.
package dbsession

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-contrib/sessions"
	gsessions "github.com/gorilla/sessions"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// Records keeps the sessions: the database store.
type Records interface {
	NewSession(ctx context.Context, email, data string, lifetime time.Duration) (store.Session, error)
	Session(ctx context.Context, id string) (store.Session, bool, error)
	SaveSession(ctx context.Context, id, email, data string) (store.Session, bool, error)
	DeleteSession(ctx context.Context, id string) error
}

// Store is a gin-contrib/sessions Store over Records.
type Store struct {
	records  Records
	lifetime time.Duration
	emailKey string
	now      func() time.Time
	options  sessions.Options
}

// New returns a Store whose sessions last lifetime from their start, whatever happens in
// them. emailKey is the session value naming the signed-in person: a session whose person
// changes (sign-in) gets a new id, and offboarding finds a person's sessions by it. now is
// the clock (time.Now when nil); it must be the records' clock too.
func New(records Records, lifetime time.Duration, emailKey string, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{records: records, lifetime: lifetime, emailKey: emailKey, now: now,
		options: sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}}
}

// Options sets the cookie's attributes. Its MaxAge is ignored but for a negative one (end the
// session): the cookie's lifetime is always what is left of the session's.
func (s *Store) Options(o sessions.Options) { s.options = o }

// Get returns the request's session, loading it once per request.
func (s *Store) Get(r *http.Request, name string) (*gsessions.Session, error) {
	return gsessions.GetRegistry(r).Get(s, name)
}

// loaded is the session value holding the email the session was loaded with; a handler
// cannot set it (its key is of this package's type), and Clear removes it, which is how a
// sign-in gets a new id.
type loaded struct{}

// New returns the session the request's cookie names, or a new, empty one when there is
// none, or it ended or expired.
func (s *Store) New(r *http.Request, name string) (*gsessions.Session, error) {
	sess := gsessions.NewSession(s, name)
	sess.Options = s.options.ToGorillaOptions()
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" {
		return sess, nil
	}
	rec, ok, err := s.records.Session(r.Context(), c.Value)
	if err != nil || !ok {
		return sess, err
	}
	values, err := decode(rec.Data)
	if err != nil {
		return sess, err
	}
	sess.Values = values
	sess.Values[loaded{}] = rec.UserEmail
	sess.ID, sess.IsNew = c.Value, false
	return sess, nil
}

// Save stores the session and sets its cookie. A session whose MaxAge is negative ends: its
// row is deleted and its cookie expired. A session loaded for the same person is saved in
// place; a new session, or one whose person changed, starts under a new id. A session that
// ended while the request ran (signed out elsewhere, offboarded, expired) is not brought
// back: its cookie is expired.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *gsessions.Session) error {
	ctx := r.Context()
	if sess.Options == nil {
		sess.Options = s.options.ToGorillaOptions()
	}
	if sess.Options.MaxAge < 0 {
		return s.end(ctx, w, sess)
	}
	email, _ := sess.Values[s.emailKey].(string)
	data, err := encode(sess.Values)
	if err != nil {
		return err
	}
	var rec store.Session
	was, wasLoaded := sess.Values[loaded{}].(string)
	if sess.ID != "" && wasLoaded && services.LowerASCII(was) == services.LowerASCII(email) {
		saved, ok, err := s.records.SaveSession(ctx, sess.ID, email, data)
		if err != nil {
			return err
		}
		if !ok {
			return s.end(ctx, w, sess)
		}
		rec = saved
	} else {
		if sess.ID != "" {
			if err := s.records.DeleteSession(ctx, sess.ID); err != nil {
				return err
			}
			sess.ID = ""
		}
		if data == "{}" {
			return nil // nothing to keep: no row, no cookie
		}
		if rec, err = s.records.NewSession(ctx, email, data, s.lifetime); err != nil {
			return err
		}
		sess.ID = rec.ID
		sess.Values[loaded{}] = rec.UserEmail
	}
	// To the nearest second: the cookie ends with the session, and the server refuses it at
	// the session's end whatever the browser keeps.
	left := (rec.ExpiresAt.Sub(s.now()) + time.Second/2) / time.Second
	if left <= 0 {
		return s.end(ctx, w, sess)
	}
	opts := *sess.Options
	opts.MaxAge = int(left)
	http.SetCookie(w, gsessions.NewCookie(sess.Name(), sess.ID, &opts))
	return nil
}

// end deletes the session and expires its cookie.
func (s *Store) end(ctx context.Context, w http.ResponseWriter, sess *gsessions.Session) error {
	if sess.ID != "" {
		if err := s.records.DeleteSession(ctx, sess.ID); err != nil {
			return err
		}
	}
	opts := *sess.Options
	opts.MaxAge = -1
	http.SetCookie(w, gsessions.NewCookie(sess.Name(), "", &opts))
	sess.ID = ""
	return nil
}

// encode renders the session's values as JSON. Values must be what JSON keeps (strings,
// booleans, lists of them; numbers come back as float64) under string keys; the store's own
// marker is left out.
func encode(values map[any]any) (string, error) {
	out := map[string]any{}
	for k, v := range values {
		if _, ours := k.(loaded); ours {
			continue
		}
		key, ok := k.(string)
		if !ok {
			return "", fmt.Errorf("session value under a %T key: only string keys are kept", k)
		}
		out[key] = v
	}
	data, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("encode the session: %w", err)
	}
	return string(data), nil
}

// decode parses what encode rendered.
func decode(data string) (map[any]any, error) {
	var in map[string]any
	if err := json.Unmarshal([]byte(data), &in); err != nil {
		return nil, fmt.Errorf("decode a session: %w", err)
	}
	out := make(map[any]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out, nil
}
