package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Session is a signed-in (or anonymous) browser session kept on the server. The browser
// holds only ID, a random value; the database holds its HMAC-SHA256 under the session
// secret, so neither a copy of the database nor a backup holds anything a browser could
// present, and a row written into the database by someone without the secret opens no
// session.
type Session struct {
	ID        string // the cookie's value
	UserEmail string // lower-cased; empty for an anonymous session
	Data      string // the session's values, as the session store encodes them
	CreatedAt time.Time
	// ExpiresAt is the absolute end of the session, set when it is created: activity never
	// extends it.
	ExpiresAt time.Time
}

// hashSessionID is the form a session id is stored in.
func (s *Store) hashSessionID(id string) string {
	mac := hmac.New(sha256.New, []byte(s.cfg.SessionSecret.Reveal()))
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil))
}

// NewSession starts a session of the person with email (empty for anonymous) that ends
// lifetime from now, under a new random id (about 256 bits).
func (s *Store) NewSession(ctx context.Context, email, data string, lifetime time.Duration) (Session, error) {
	now := s.now().UTC()
	sess := Session{ID: rand.Text() + rand.Text(), UserEmail: normalizeEmail(email), Data: data, CreatedAt: now, ExpiresAt: now.Add(lifetime)}
	_, err := s.writeQ.ExecContext(ctx, "INSERT INTO sessions (id_hash, user_email, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
		s.hashSessionID(sess.ID), sess.UserEmail, sess.Data, unixNano(sess.CreatedAt), unixNano(sess.ExpiresAt))
	if err != nil {
		return Session{}, storeError("start a session", err)
	}
	return sess, nil
}

// Session returns the session with id, unless it ended (signed out, offboarded) or expired.
func (s *Store) Session(ctx context.Context, id string) (Session, bool, error) {
	sess, ok, err := queryOne(ctx, s.readQ, scanSession,
		"SELECT user_email, data, created_at, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
		s.hashSessionID(id), unixNano(s.now()))
	sess.ID = id
	return sess, ok, storeError("read a session", err)
}

// SaveSession replaces the data of the session with id, and returns the session. It reports
// false, changing nothing, when the session ended or expired, or belongs to another person
// than email: a session never changes hands, a new person gets a new session.
func (s *Store) SaveSession(ctx context.Context, id, email, data string) (Session, bool, error) {
	sess, ok, err := queryOne(ctx, s.writeQ, scanSession,
		"UPDATE sessions SET data = $1 WHERE id_hash = $2 AND user_email = $3 AND expires_at > $4 "+
			"RETURNING user_email, data, created_at, expires_at",
		data, s.hashSessionID(id), normalizeEmail(email), unixNano(s.now()))
	sess.ID = id
	return sess, ok, storeError("save a session", err)
}

// DeleteSession ends the session with id (signing out), wherever its cookie is.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.writeQ.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", s.hashSessionID(id))
	return storeError("end a session", err)
}

// DeleteSessionsOf ends every session of the person with email (offboarding), and returns
// how many there were.
func (s *Store) DeleteSessionsOf(ctx context.Context, email string) (int, error) {
	res, err := s.writeQ.ExecContext(ctx, "DELETE FROM sessions WHERE user_email = $1", normalizeEmail(email))
	if err != nil {
		return 0, storeError("end a person's sessions", err)
	}
	n, err := res.RowsAffected()
	return int(n), storeError("end a person's sessions", err)
}

// PurgeExpired deletes the sessions and person locks that have run out, and returns how
// many of each. Neither is in use any more: a read ignores them already.
func (s *Store) PurgeExpired(ctx context.Context) (sessions, locks int, err error) {
	now := unixNano(s.now())
	for _, p := range []struct {
		query string
		n     *int
	}{
		{"DELETE FROM sessions WHERE expires_at <= $1", &sessions},
		{"DELETE FROM person_locks WHERE until <= $1", &locks},
	} {
		res, err := s.writeQ.ExecContext(ctx, p.query, now)
		if err != nil {
			return sessions, locks, storeError("purge what ran out", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return sessions, locks, storeError("purge what ran out", err)
		}
		*p.n = int(n)
	}
	return sessions, locks, nil
}

func scanSession(row scanner) (Session, error) {
	var sess Session
	var created, expires int64
	err := row.Scan(&sess.UserEmail, &sess.Data, &created, &expires)
	sess.CreatedAt, sess.ExpiresAt = fromUnixNano(created), fromUnixNano(expires)
	return sess, err
}
