package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("Sessions", func(backend storetest.Backend) {
	var (
		ctx context.Context
		clk *clock
		s   *store.Store
	)

	BeforeEach(func() {
		ctx = context.Background()
		clk = newClock()
		cfg := databases.Config(backend)
		cfg.Now = clk.Now
		s = storetest.Open(cfg)
	})

	newSession := func(email string) store.Session {
		GinkgoHelper()
		sess, err := s.NewSession(ctx, email, `{"email":"`+email+`"}`, time.Hour)
		Expect(err).NotTo(HaveOccurred())
		return sess
	}

	It("starts a session under a long random id, and stores only the id's hash", func() {
		sess := newSession("Ann@example.com")
		Expect(len(sess.ID)).To(BeNumerically(">=", 43))
		Expect(sess.UserEmail).To(Equal("ann@example.com"))
		Expect(sess.ExpiresAt).To(Equal(t0.Add(time.Hour)))
		got, ok, err := s.Session(ctx, sess.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(got).To(Equal(sess))
		stored, err := store.QueryStrings(s, "SELECT id_hash FROM sessions")
		Expect(err).NotTo(HaveOccurred())
		Expect(stored).To(HaveLen(1))
		Expect(stored[0]).NotTo(ContainSubstring(sess.ID))
		Expect(newSession("ann@example.com").ID).NotTo(Equal(sess.ID))
	})

	It("knows no id it did not hand out", func() {
		newSession("ann@example.com")
		_, ok, err := s.Session(ctx, "made-up")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
	})

	It("ends at its absolute lifetime, however active it was", func() {
		sess := newSession("ann@example.com")
		for range 3 {
			clk.Advance(15 * time.Minute)
			saved, ok, err := s.SaveSession(ctx, sess.ID, "ann@example.com", `{"seen":true}`)
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			Expect(saved.ExpiresAt).To(Equal(sess.ExpiresAt))
			Expect(saved.Data).To(Equal(`{"seen":true}`))
		}
		clk.Advance(15 * time.Minute)
		_, ok, err := s.Session(ctx, sess.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse(), "an hour has passed")
		_, ok, err = s.SaveSession(ctx, sess.ID, "ann@example.com", `{}`)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
	})

	It("never hands a session to another person", func() {
		sess := newSession("ann@example.com")
		_, ok, err := s.SaveSession(ctx, sess.ID, "mallory@example.com", `{}`)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		got, _, err := s.Session(ctx, sess.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Data).To(Equal(`{"email":"ann@example.com"}`))
	})

	It("ends one session on sign-out, and every session of a person on offboarding", func() {
		one, two, bobs := newSession("ann@example.com"), newSession("ann@example.com"), newSession("bob@example.com")
		Expect(s.DeleteSession(ctx, one.ID)).To(Succeed())
		_, ok, err := s.Session(ctx, one.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		_, ok, err = s.SaveSession(ctx, one.ID, "ann@example.com", `{}`)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse(), "a save does not bring it back")
		three := newSession("ann@example.com")

		n, err := s.DeleteSessionsOf(ctx, "ANN@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(2))
		for _, id := range []string{two.ID, three.ID} {
			_, ok, err := s.Session(ctx, id)
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
		}
		_, ok, err = s.Session(ctx, bobs.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
	})

	It("ends every session of a person inside a change too, with the rest of the change", func() {
		ann, bobs := newSession("ann@example.com"), newSession("bob@example.com")
		Expect(s.Update(ctx, func(tx *store.Tx) error {
			n, err := tx.DeleteSessionsOf("Ann@Example.com")
			Expect(n).To(Equal(1))
			if err != nil {
				return err
			}
			return errors.New("the rest of the change failed")
		})).NotTo(Succeed())
		_, ok, err := s.Session(ctx, ann.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue(), "a change that failed ends no session")
		update(s, func(tx *store.Tx) error { _, err := tx.DeleteSessionsOf("ann@example.com"); return err })
		_, ok, err = s.Session(ctx, ann.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		_, ok, err = s.Session(ctx, bobs.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
	})

	It("opens no session from a row written without the session secret, and none after the secret changes", func() {
		cfg := databases.Config(backend)
		cfg.Now, cfg.SessionSecret = clk.Now, "secret-one-0123456789abcdef0123456789"
		one := storetest.Open(cfg)
		sess, err := one.NewSession(ctx, "ann@example.com", `{}`, time.Hour)
		Expect(err).NotTo(HaveOccurred())
		// Someone who can write the database, but does not hold the secret, plants a session.
		plain := sha256.Sum256([]byte("planted-id"))
		Expect(store.Exec(one, "INSERT INTO sessions (id_hash, user_email, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
			hex.EncodeToString(plain[:]), "carol@example.com", `{"email":"carol@example.com"}`, t0.UnixNano(), t0.Add(time.Hour).UnixNano())).To(Succeed())
		_, ok, err := one.Session(ctx, "planted-id")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())

		cfg.Owner, cfg.SessionSecret = "another", "secret-two-0123456789abcdef0123456789"
		_, ok, err = storetest.Open(cfg).Session(ctx, sess.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		_, ok, err = one.Session(ctx, sess.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
	})

	It("purges the sessions that ran out, and only those", func() {
		newSession("ann@example.com")
		clk.Advance(30 * time.Minute)
		live := newSession("bob@example.com")
		clk.Advance(30 * time.Minute)
		n, _, err := s.PurgeExpired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(1))
		_, ok, err := s.Session(ctx, live.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
	})
}, backends)
