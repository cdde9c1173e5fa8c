package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/keyring"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// ring is a keyring of fixed keys, one per byte given, the first sealing.
func ring(keys ...byte) *keyring.Keyring {
	GinkgoHelper()
	var file bytes.Buffer
	for _, b := range keys {
		fmt.Fprintln(&file, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, keyring.KeySize)))
	}
	k, err := keyring.Parse(file.Bytes())
	Expect(err).NotTo(HaveOccurred())
	return k
}

// stored returns the api_key and key_id columns of a connection as the database holds them.
func stored(s *store.Store, email, serviceID string) (apiKey, keyID string) {
	GinkgoHelper()
	rows, err := store.QueryStrings(s, "SELECT api_key || '|' || key_id FROM connections WHERE user_email = $1 AND service_id = $2", email, serviceID)
	Expect(err).NotTo(HaveOccurred())
	Expect(rows).To(HaveLen(1))
	var ok bool
	apiKey, keyID, ok = cut(rows[0])
	Expect(ok).To(BeTrue())
	return apiKey, keyID
}

func cut(s string) (string, string, bool) {
	i := bytes.LastIndexByte([]byte(s), '|')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// keyOf returns the API key s holds for c's person and service.
func keyOf(s *store.Store, c services.Connection) services.Secret {
	GinkgoHelper()
	got, ok, err := s.Get(context.Background(), c.UserEmail, c.ServiceID)
	Expect(err).NotTo(HaveOccurred())
	Expect(ok).To(BeTrue())
	return got.APIKey
}

// reopen closes s and opens cfg's database again with keys.
func reopen(s *store.Store, cfg store.Config, keys *keyring.Keyring) *store.Store {
	GinkgoHelper()
	s.Close()
	cfg.Keys = keys
	return storetest.Open(cfg)
}

var _ = DescribeTableSubtree("API keys encrypted at rest", func(backend storetest.Backend) {
	var (
		ctx   context.Context
		cfg   store.Config
		conns []services.Connection
	)

	BeforeEach(func() {
		ctx = context.Background()
		cfg = databases.Config(backend)
		conns = nil
		for _, email := range []string{"ann@example.com", "bob@example.com"} {
			for _, svc := range []string{"crm", "invoicing"} {
				conns = append(conns, connection(email, svc))
			}
		}
	})

	// expectAll asserts that s opens every connection of conns to its key.
	expectAll := func(s *store.Store) {
		GinkgoHelper()
		for _, c := range conns {
			Expect(keyOf(s, c)).To(Equal(c.APIKey))
		}
	}

	It("seals every key under the first key of the file, and opens it again", func() {
		keys := ring(1, 2)
		cfg.Keys = keys
		s := storetest.Open(cfg)
		put(s, conns...)

		expectAll(s)
		Expect(storetest.State(s).Connections).To(Equal(conns))
		for _, c := range conns {
			apiKey, keyID := stored(s, c.UserEmail, c.ServiceID)
			Expect(keyID).To(Equal(keys.SealingID()))
			Expect(apiKey).NotTo(ContainSubstring(keyMark))
			Expect(apiKey).NotTo(ContainSubstring(c.APIKey.Reveal()))
		}
	})

	It("opens keys sealed under an older key, and seals new ones under the first", func() {
		cfg.Keys = ring(1)
		s := storetest.Open(cfg)
		put(s, conns[0])

		s = reopen(s, cfg, ring(2, 1))
		put(s, conns[1])

		Expect(keyOf(s, conns[0])).To(Equal(conns[0].APIKey))
		_, oldID := stored(s, conns[0].UserEmail, conns[0].ServiceID)
		_, newID := stored(s, conns[1].UserEmail, conns[1].ServiceID)
		Expect(oldID).To(Equal(ring(1).SealingID()))
		Expect(newID).To(Equal(ring(2).SealingID()))
	})

	It("re-seals everything under the first key with Rekey, so the old key can leave the file", func() {
		cfg.Keys = ring(1)
		s := storetest.Open(cfg)
		put(s, conns...)
		s = reopen(s, cfg, ring(2, 1))

		report, err := s.Rekey(ctx, 3) // two batches
		Expect(err).NotTo(HaveOccurred())
		Expect(report.Resealed).To(Equal(map[string]int{ring(1).SealingID(): len(conns)}))
		Expect(report.Failed).To(BeEmpty())
		Expect(report.Done()).To(BeTrue())
		Expect(report.String()).To(HavePrefix(fmt.Sprintf("%d API keys re-sealed under key %s (%d from key %s)", len(conns), ring(2).SealingID(), len(conns), ring(1).SealingID())))

		again, err := s.Rekey(ctx, 3)
		Expect(err).NotTo(HaveOccurred())
		Expect(again.Total()).To(BeZero(), "safe to run again")
		Expect(again.Done()).To(BeTrue())

		s = reopen(s, cfg, ring(2))
		expectAll(s)
	})

	It("opens keys a store without a key file wrote in plain text, and seals them on their next write or with Rekey", func() {
		s := storetest.Open(cfg)
		put(s, conns...)
		apiKey, keyID := stored(s, conns[0].UserEmail, conns[0].ServiceID)
		Expect(apiKey).To(Equal(conns[0].APIKey.Reveal()))
		Expect(keyID).To(BeEmpty())

		log := gbytes.NewBuffer()
		cfg.Log = slog.New(slog.NewTextHandler(log, nil))
		s = reopen(s, cfg, ring(1))
		Expect(log).To(gbytes.Say(`API keys are stored in plain text.*run .service-connector rekey. to seal them all now" keys=%d sealing_key_id=%s`, len(conns), ring(1).SealingID()))
		Expect(string(log.Contents())).NotTo(ContainSubstring(keyMark))
		expectAll(s)
		put(s, conns[0])
		_, keyID = stored(s, conns[0].UserEmail, conns[0].ServiceID)
		Expect(keyID).To(Equal(ring(1).SealingID()))

		report, err := s.Rekey(ctx, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(report.Resealed).To(Equal(map[string]int{"": len(conns) - 1}))
		Expect(report.String()).To(ContainSubstring(fmt.Sprintf("(%d from plain text)", len(conns)-1)))
		plain, err := store.QueryStrings(s, "SELECT api_key FROM connections WHERE key_id = ''")
		Expect(err).NotTo(HaveOccurred())
		Expect(plain).To(BeEmpty())
		expectAll(s)
		if cfg.DatabaseURL == "" {
			for _, name := range []string{store.FileName, store.FileName + "-wal"} {
				data, err := os.ReadFile(filepath.Join(cfg.DataDir, name))
				if os.IsNotExist(err) {
					continue
				}
				Expect(err).NotTo(HaveOccurred())
				for _, c := range conns {
					Expect(string(data)).NotTo(ContainSubstring(c.APIKey.Reveal()), "%s keeps a key in plain text after Rekey", name)
				}
			}
		}
	})

	It("loses no change a portal makes while Rekey runs", func() {
		cfg.Keys = ring(1)
		s := storetest.Open(cfg)
		var many []services.Connection
		for i := range 60 {
			many = append(many, connection(fmt.Sprintf("p%02d@example.com", i), "crm"))
		}
		put(s, many...)
		s.Close()
		cfg.Keys = ring(2, 1)
		portal, rekey := storetest.Open(cfg), storetest.Open(cfg)

		var (
			mu     sync.Mutex
			latest = map[string]services.Secret{}
			stop   atomic.Bool
			wg     sync.WaitGroup
		)
		wg.Go(func() {
			defer GinkgoRecover()
			for round := 0; !stop.Load(); round++ {
				c := many[(round*7)%len(many)]
				c.TokenID = fmt.Sprintf("tok_round_%d", round)
				c.APIKey = services.Secret(fmt.Sprintf("pk_live_%s_round_%d", keyMark, round))
				mu.Lock()
				put(portal, c)
				latest[c.UserEmail] = c.APIKey
				mu.Unlock()
			}
		})
		report, err := rekey.Rekey(ctx, 4)
		stop.Store(true)
		wg.Wait()

		Expect(err).NotTo(HaveOccurred())
		Expect(report.Done()).To(BeTrue(), report.String())
		for _, c := range many {
			got, ok, err := rekey.Get(ctx, c.UserEmail, "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			want, changed := latest[c.UserEmail]
			if !changed {
				want = c.APIKey
			}
			Expect(got.APIKey).To(Equal(want), c.UserEmail)
		}
		ids, err := store.QueryStrings(rekey, "SELECT DISTINCT key_id FROM connections")
		Expect(err).NotTo(HaveOccurred())
		Expect(ids).To(Equal([]string{ring(2).SealingID()}))
	})

	It("refuses to open a database holding encrypted keys without a key file, naming SC_STORE_KEY_FILE", func() {
		cfg.Keys = ring(1)
		s := storetest.Open(cfg)
		put(s, conns...)
		sealed, _ := stored(s, conns[0].UserEmail, conns[0].ServiceID)
		s.Close()

		cfg.Keys = nil
		_, err := store.Open(ctx, cfg)
		Expect(err).To(MatchError(And(ContainSubstring("encrypted at rest"), ContainSubstring("set SC_STORE_KEY_FILE"),
			ContainSubstring(fmt.Sprintf("%d under key id %s", len(conns), ring(1).SealingID())))))
		expectNoKeyIn(err)
		Expect(err.Error()).NotTo(ContainSubstring(sealed))
	})

	It("opens without a key file for a caller that reads no key (the audit commands), and a key read anyway is an error, never the sealed bytes", func() {
		cfg.Keys = ring(1)
		s := storetest.Open(cfg)
		put(s, conns...)
		sealed, _ := stored(s, conns[0].UserEmail, conns[0].ServiceID)
		s.Close()

		cfg.Keys, cfg.KeysUnread = nil, true
		auditor, err := store.Open(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(auditor.Close)
		check, err := auditor.VerifyAudit(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(check.Bad).To(BeNil())
		_, _, err = auditor.Get(ctx, conns[0].UserEmail, conns[0].ServiceID)
		Expect(err).To(MatchError(ContainSubstring(ring(1).SealingID())))
		expectNoKeyIn(err)
		Expect(err.Error()).NotTo(ContainSubstring(sealed))
	})

	It("refuses to open a database with a wrong key file, naming the key ids", func() {
		cfg.Keys = ring(1)
		s := storetest.Open(cfg)
		put(s, conns...)
		s.Close()

		cfg.Keys = ring(3)
		_, err := store.Open(ctx, cfg)
		Expect(err).To(MatchError(And(ContainSubstring("SC_STORE_KEY_FILE does not hold"),
			ContainSubstring(fmt.Sprintf("%d under key id %s", len(conns), ring(1).SealingID())),
			ContainSubstring("the file holds key ids "+ring(3).SealingID()))))
		expectNoKeyIn(err)
	})

	It("says so, without the key, when another portal sealed a record under a key this one was not given", func() {
		cfg.Keys = ring(1)
		old := storetest.Open(cfg)
		cfg.Keys = ring(2, 1)
		rotated := storetest.Open(cfg)
		put(rotated, conns[0])

		got, _, err := old.Get(ctx, conns[0].UserEmail, conns[0].ServiceID)
		Expect(err).To(MatchError(keyring.ErrUnknownKey))
		Expect(err).To(MatchError(ContainSubstring("ann@example.com's connection to crm (token " + conns[0].TokenID + ", key id " + ring(2).SealingID() + ")")))
		Expect(got.APIKey).To(BeEmpty())
		expectNoKeyIn(err)
	})

	DescribeTable("never returns a key that does not open in its record, and says so without the sealed bytes",
		func(tamper func(s *store.Store, sealed string) string) {
			cfg.Keys = ring(1)
			s := storetest.Open(cfg)
			put(s, conns...)
			ann, bob := conns[0], conns[2]
			annSealed, _ := stored(s, ann.UserEmail, ann.ServiceID)
			bad := tamper(s, annSealed)
			Expect(store.Exec(s, "UPDATE connections SET api_key = $1 WHERE user_email = $2 AND service_id = $3", bad, bob.UserEmail, bob.ServiceID)).To(Succeed())

			got, _, err := s.Get(ctx, bob.UserEmail, bob.ServiceID)
			Expect(err).To(MatchError(keyring.ErrNotAuthentic))
			Expect(err).To(MatchError(ContainSubstring("the API key of bob@example.com's connection to crm")))
			Expect(got.APIKey).To(BeEmpty())
			expectNoKeyIn(err)
			Expect(err.Error()).NotTo(ContainSubstring(bad))
			_, err = s.ForUser(ctx, bob.UserEmail)
			Expect(err).To(MatchError(keyring.ErrNotAuthentic))
			Expect(keyOf(s, ann)).To(Equal(ann.APIKey))

			s = reopen(s, cfg, ring(2, 1))
			report, err := s.Rekey(ctx, 0)
			Expect(err).NotTo(HaveOccurred())
			Expect(report.Failed).To(HaveLen(1))
			Expect(report.Failed[0]).To(HaveField("UserEmail", bob.UserEmail))
			Expect(report.Remaining).To(Equal(map[string]int{ring(1).SealingID(): 1}))
			Expect(report.Done()).To(BeFalse())
			Expect(report.String()).To(ContainSubstring("1 would not open"))
			Expect(report.String()).NotTo(ContainSubstring(bad))
		},
		Entry("sealed bytes moved from another record", func(_ *store.Store, sealed string) string { return sealed }),
		Entry("sealed bytes altered", func(_ *store.Store, sealed string) string {
			raw, err := base64.StdEncoding.DecodeString(sealed)
			Expect(err).NotTo(HaveOccurred())
			raw[len(raw)/2] ^= 0x40
			return base64.StdEncoding.EncodeToString(raw)
		}),
	)

	It("does not open a key whose record was pointed at another server account", func() {
		cfg.Keys = ring(1)
		s := storetest.Open(cfg)
		put(s, conns...)
		Expect(store.Exec(s, "UPDATE connections SET username = 'mallory' WHERE user_email = $1 AND service_id = $2", conns[0].UserEmail, conns[0].ServiceID)).To(Succeed())

		_, _, err := s.Get(ctx, conns[0].UserEmail, conns[0].ServiceID)
		Expect(err).To(MatchError(keyring.ErrNotAuthentic))
		expectNoKeyIn(err)
	})

	It("will not Rekey without a key file", func() {
		s := storetest.Open(cfg)
		_, err := s.Rekey(ctx, 0)
		Expect(err).To(MatchError(ContainSubstring("set SC_STORE_KEY_FILE")))
	})

	Describe("moving in from connections.json", func() {
		var jsonPath string

		BeforeEach(func() {
			jsonPath = filepath.Join(cfg.DataDir, "connections.json")
			writeFileStore(jsonPath, store.State{Connections: conns})
			cfg.Keys = ring(1)
		})

		It("seals the keys, and keeps the file without them once the database opens every one", func() {
			s := storetest.Open(cfg)

			Expect(storetest.State(s).Connections).To(Equal(conns))
			Expect(jsonPath).NotTo(BeAnExistingFile())
			left, err := os.ReadFile(jsonPath + ".imported")
			Expect(err).NotTo(HaveOccurred())
			Expect(string(left)).NotTo(ContainSubstring(keyMark))
			Expect(string(left)).To(And(ContainSubstring("bob@example.com"), ContainSubstring(`"api_key":""`), ContainSubstring(conns[3].TokenID)))
			info, err := os.Stat(jsonPath + ".imported")
			Expect(err).NotTo(HaveOccurred())
			Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
			plain, err := store.QueryStrings(s, "SELECT api_key FROM connections WHERE key_id <> $1", ring(1).SealingID())
			Expect(err).NotTo(HaveOccurred())
			Expect(plain).To(BeEmpty())
		})

		It("sets the file aside without its keys when the process died after the import committed", func() {
			original, err := os.ReadFile(jsonPath)
			Expect(err).NotTo(HaveOccurred())
			s := storetest.Open(cfg)
			s.Close()
			Expect(os.WriteFile(jsonPath, original, 0o600)).To(Succeed()) // as before the set-aside

			s = storetest.Open(cfg)
			Expect(storetest.State(s).Connections).To(Equal(conns))
			Expect(jsonPath).NotTo(BeAnExistingFile())
			Expect(os.ReadFile(jsonPath + ".imported")).NotTo(ContainSubstring(keyMark))
		})
	})
}, backends)
