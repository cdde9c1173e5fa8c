package store_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("The audit log", func(backend storetest.Backend) {
	var (
		ctx context.Context
		clk *clock
		cfg store.Config
		s   *store.Store
	)

	BeforeEach(func() {
		ctx = context.Background()
		clk = newClock()
		cfg = databases.Config(backend)
		cfg.Now = clk.Now
		s = storetest.Open(cfg)
	})

	event := func(i int) store.AuditEvent {
		return store.AuditEvent{Actor: "ann@example.com", Kind: "connect", Person: "Ann@Example.com", Account: "ann",
			ServiceID: "crm", TokenID: fmt.Sprintf("tok_%d", i), Outcome: "ok", Reason: fmt.Sprintf("event %d", i)}
	}
	appendEvents := func(n int) {
		GinkgoHelper()
		for i := range n {
			Expect(s.Audit(ctx, event(i+1))).To(Succeed())
			clk.Advance(time.Minute)
		}
	}
	all := func() []store.AuditRecord {
		GinkgoHelper()
		var recs []store.AuditRecord
		Expect(s.ExportAudit(ctx, store.AuditFilter{}, func(r store.AuditRecord) error {
			recs = append(recs, r)
			return nil
		})).To(Succeed())
		return recs
	}
	verify := func() store.AuditCheck {
		GinkgoHelper()
		check, err := s.VerifyAudit(ctx)
		Expect(err).NotTo(HaveOccurred())
		return check
	}

	Describe("appending", func() {
		It("numbers the records from 1 and chains each to the one before it", func() {
			appendEvents(3)
			recs := all()
			Expect(recs).To(HaveLen(3))
			Expect(recs[0].Seq).To(BeEquivalentTo(1))
			Expect(recs[0].PrevHash).To(Equal(store.ZeroHash))
			for i, r := range recs {
				Expect(r.Seq).To(BeEquivalentTo(i + 1))
				Expect(r.Hash).To(Equal(store.AuditHash(r)))
				Expect(r.Hash).To(HaveLen(64))
				if i > 0 {
					Expect(r.PrevHash).To(Equal(recs[i-1].Hash))
				}
			}
			Expect(recs[1].AuditEvent).To(Equal(store.AuditEvent{At: t0.Add(time.Minute), Actor: "ann@example.com", Kind: "connect",
				Person: "ann@example.com", Account: "ann", ServiceID: "crm", TokenID: "tok_2", Outcome: "ok", Reason: "event 2"}))
		})

		It("appends a change's events when it commits, and none of a change that fails", func() {
			update(s, func(tx *store.Tx) error {
				tx.Audit(event(1), event(2))
				return tx.Put(connection("ann@example.com", "crm"))
			})
			err := s.Update(ctx, func(tx *store.Tx) error {
				tx.Audit(event(3))
				return store.BreakTx(tx)
			})
			Expect(err).To(HaveOccurred())
			err = s.Update(ctx, func(tx *store.Tx) error {
				tx.Audit(event(4))
				return fmt.Errorf("changed its mind")
			})
			Expect(err).To(HaveOccurred())
			recs := all()
			Expect(recs).To(HaveLen(2))
			Expect(recs[1].TokenID).To(Equal("tok_2"))
			Expect(verify().Bad).To(BeNil())
		})

		It("bounds every field and keeps only valid UTF-8", func() {
			long := make([]byte, 5000)
			for i := range long {
				long[i] = 'x'
			}
			Expect(s.Audit(ctx, store.AuditEvent{Actor: "cli", Kind: "offboard", Reason: string(long) + "\xff"})).To(Succeed())
			r := all()[0]
			Expect(len(r.Reason)).To(BeNumerically("<=", 1100))
			Expect(r.Reason).To(HaveSuffix("…"))
			Expect(verify().Bad).To(BeNil())
		})

		It("never forks the chain when two portals append at once", func() {
			other := storetest.Open(func() store.Config { c := cfg; c.Owner = ""; return c }())
			var wg sync.WaitGroup
			for _, st := range []*store.Store{s, other, s, other} {
				wg.Go(func() {
					defer GinkgoRecover()
					for i := range 25 {
						Expect(st.Audit(ctx, event(i))).To(Succeed())
					}
				})
			}
			wg.Wait()
			recs := all()
			Expect(recs).To(HaveLen(100))
			Expect(recs[99].Seq).To(BeEquivalentTo(100))
			check := verify()
			Expect(check.Bad).To(BeNil())
			Expect(check.Records).To(BeEquivalentTo(100))
		})
	})

	Describe("verify", func() {
		BeforeEach(func() { appendEvents(5) })

		It("passes on an untouched chain, from the first record to the head", func() {
			check := verify()
			Expect(check.Bad).To(BeNil())
			Expect(check.From).To(BeEquivalentTo(1))
			Expect(check.To).To(BeEquivalentTo(5))
			Expect(check.AnchorHash).To(Equal(store.ZeroHash))
			Expect(check.Head).To(Equal(all()[4].Hash))
		})

		It("names a record whose field was changed", func() {
			Expect(store.Exec(s, "UPDATE audit_log SET person = 'bob@example.com' WHERE seq = 3")).To(Succeed())
			check := verify()
			Expect(check.Bad).NotTo(BeNil())
			Expect(check.Bad.Seq).To(BeEquivalentTo(3))
			Expect(check.Bad.At).To(Equal(t0.Add(2 * time.Minute)))
			Expect(check.Bad.Why).To(ContainSubstring("changed"))
		})

		It("names a record whose hash was recomputed after a change, at the next record", func() {
			r := all()[2]
			r.Person = "bob@example.com"
			Expect(store.Exec(s, "UPDATE audit_log SET person = 'bob@example.com', hash = $1 WHERE seq = 3", store.AuditHash(r))).To(Succeed())
			check := verify()
			Expect(check.Bad).NotTo(BeNil())
			Expect(check.Bad.Seq).To(BeEquivalentTo(4))
			Expect(check.Bad.Why).To(ContainSubstring("does not follow"))
		})

		It("names a record removed from the middle", func() {
			Expect(store.Exec(s, "DELETE FROM audit_log WHERE seq = 3")).To(Succeed())
			check := verify()
			Expect(check.Bad).NotTo(BeNil())
			Expect(check.Bad.Seq).To(BeEquivalentTo(3))
			Expect(check.Bad.Why).To(ContainSubstring("missing"))
		})

		It("names the first of two records swapped", func() {
			Expect(store.Exec(s, "UPDATE audit_log SET seq = -1 WHERE seq = 2")).To(Succeed())
			Expect(store.Exec(s, "UPDATE audit_log SET seq = 2 WHERE seq = 4")).To(Succeed())
			Expect(store.Exec(s, "UPDATE audit_log SET seq = 4 WHERE seq = -1")).To(Succeed())
			check := verify()
			Expect(check.Bad).NotTo(BeNil())
			Expect(check.Bad.Seq).To(BeEquivalentTo(2))
			Expect(check.Bad.At).To(Equal(t0.Add(3*time.Minute)), "the record now at 2 is the fourth one")
		})

		It("names the last record when it was removed", func() {
			Expect(store.Exec(s, "DELETE FROM audit_log WHERE seq = 5")).To(Succeed())
			check := verify()
			Expect(check.Bad).NotTo(BeNil())
			Expect(check.Bad.Seq).To(BeEquivalentTo(5))
		})

		It("names a record inserted after the head, which would stop every append", func() {
			r := all()[4]
			r.Seq, r.PrevHash = 6, r.Hash
			r.Hash = store.AuditHash(r)
			Expect(store.Exec(s, "INSERT INTO audit_log ("+"seq, at, actor, kind, person, account, service_id, token_id, outcome, reason, prev_hash, hash"+
				") VALUES ($1, $2, 'x', 'x', '', '', '', '', '', '', $3, $4)", r.Seq, r.At.UnixNano(), r.PrevHash, r.Hash)).To(Succeed())
			check := verify()
			Expect(check.Bad).NotTo(BeNil())
			Expect(check.Bad.Seq).To(BeEquivalentTo(6))
			Expect(check.Bad.Why).To(ContainSubstring("after the log's head"))
		})

		It("names the first record when it was removed", func() {
			Expect(store.Exec(s, "DELETE FROM audit_log WHERE seq = 1")).To(Succeed())
			check := verify()
			Expect(check.Bad).NotTo(BeNil())
			Expect(check.Bad.Seq).To(BeEquivalentTo(1))
		})

		It("finds a log rewritten whole by the hash an earlier run printed", func() {
			want := all()[1]
			// Rewrite every record from the second on, hashes and head included.
			recs := all()
			prev := recs[0].Hash
			for _, r := range recs[1:] {
				r.Reason, r.PrevHash = "rewritten", prev
				r.Hash = store.AuditHash(r)
				Expect(store.Exec(s, "UPDATE audit_log SET reason = $1, prev_hash = $2, hash = $3 WHERE seq = $4", r.Reason, r.PrevHash, r.Hash, r.Seq)).To(Succeed())
				prev = r.Hash
			}
			Expect(store.Exec(s, "UPDATE audit_head SET hash = $1", prev)).To(Succeed())
			Expect(verify().Bad).To(BeNil(), "the chain alone holds")
			check, err := s.VerifyAudit(ctx, store.ExpectHash{Seq: 2, Hash: want.Hash})
			Expect(err).NotTo(HaveOccurred())
			Expect(check.Bad).NotTo(BeNil())
			Expect(check.Bad.Seq).To(BeEquivalentTo(2))
		})
	})

	Describe("reading", func() {
		BeforeEach(func() {
			for i := range 12 {
				e := event(i + 1)
				if i%3 == 0 {
					e.Person, e.ServiceID = "bob@example.com", "invoicing"
				}
				Expect(s.Audit(ctx, e)).To(Succeed())
				clk.Advance(time.Hour)
			}
		})

		seqs := func(recs []store.AuditRecord) []int64 {
			var out []int64
			for _, r := range recs {
				out = append(out, r.Seq)
			}
			return out
		}

		It("exports oldest first, by person and since a time", func() {
			var got []store.AuditRecord
			Expect(s.ExportAudit(ctx, store.AuditFilter{Person: "BOB@example.com"}, func(r store.AuditRecord) error {
				got = append(got, r)
				return nil
			})).To(Succeed())
			Expect(seqs(got)).To(Equal([]int64{1, 4, 7, 10}))
			got = nil
			Expect(s.ExportAudit(ctx, store.AuditFilter{Since: t0.Add(9 * time.Hour)}, func(r store.AuditRecord) error {
				got = append(got, r)
				return nil
			})).To(Succeed())
			Expect(seqs(got)).To(Equal([]int64{10, 11, 12}))
		})

		It("pages newest first, by person and by service, older and newer", func() {
			page, err := s.AuditRecords(ctx, store.AuditFilter{}, store.AuditCursor{}, 5)
			Expect(err).NotTo(HaveOccurred())
			Expect(seqs(page.Records)).To(Equal([]int64{12, 11, 10, 9, 8}))
			Expect(page.Older).To(BeTrue())
			Expect(page.Newer).To(BeFalse())
			page, err = s.AuditRecords(ctx, store.AuditFilter{}, store.AuditCursor{Before: 8}, 5)
			Expect(err).NotTo(HaveOccurred())
			Expect(seqs(page.Records)).To(Equal([]int64{7, 6, 5, 4, 3}))
			Expect(page.Older).To(BeTrue())
			Expect(page.Newer).To(BeTrue())
			page, err = s.AuditRecords(ctx, store.AuditFilter{}, store.AuditCursor{After: 7}, 5)
			Expect(err).NotTo(HaveOccurred())
			Expect(seqs(page.Records)).To(Equal([]int64{12, 11, 10, 9, 8}))
			Expect(page.Newer).To(BeFalse())

			page, err = s.AuditRecords(ctx, store.AuditFilter{ServiceID: "invoicing"}, store.AuditCursor{}, 3)
			Expect(err).NotTo(HaveOccurred())
			Expect(seqs(page.Records)).To(Equal([]int64{10, 7, 4}))
			Expect(page.Older).To(BeTrue())
			page, err = s.AuditRecords(ctx, store.AuditFilter{Person: "ann@example.com", ServiceID: "crm"}, store.AuditCursor{Before: 5}, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(seqs(page.Records)).To(Equal([]int64{3, 2}))
			Expect(page.Older).To(BeFalse())
		})
	})

	Describe("retention", func() {
		BeforeEach(func() { appendEvents(6) })

		It("deletes the records older than the cut, records that it did, and the chain verifies from the first kept", func() {
			n, err := s.PruneAudit(ctx, t0.Add(3*time.Minute), "worker")
			Expect(err).NotTo(HaveOccurred())
			Expect(n).To(Equal(3))
			recs := all()
			Expect(recs[0].Seq).To(BeEquivalentTo(4))
			last := recs[len(recs)-1]
			Expect(last.Kind).To(Equal("audit_retention"))
			Expect(last.Actor).To(Equal("worker"))
			Expect(last.Reason).To(ContainSubstring("deleted records 1 to 3"))
			check := verify()
			Expect(check.Bad).To(BeNil())
			Expect(check.From).To(BeEquivalentTo(4))
			Expect(check.AnchorHash).To(Equal(recs[0].PrevHash))
			Expect(check.To).To(Equal(last.Seq))

			n, err = s.PruneAudit(ctx, t0.Add(3*time.Minute), "worker")
			Expect(err).NotTo(HaveOccurred())
			Expect(n).To(BeZero(), "nothing older is left")
		})

		It("verifies while the worker prunes, never taking a prune for a removal", func() {
			const n, batch = 6000, 1000
			for i := 0; i < n; i += batch {
				evs := make([]store.AuditEvent, batch)
				for j := range evs {
					evs[j] = event(i + j)
					evs[j].At = t0.Add(time.Duration(i+j) * time.Second)
				}
				Expect(s.Audit(ctx, evs...)).To(Succeed())
			}
			pruned := make(chan struct{})
			go func() {
				defer GinkgoRecover()
				defer close(pruned)
				for cut := batch; cut < n; cut += batch {
					_, err := s.PruneAudit(ctx, t0.Add(time.Duration(cut)*time.Second), "worker")
					Expect(err).NotTo(HaveOccurred())
				}
			}()
			runs := 0
			for done := false; !done; runs++ {
				select {
				case <-pruned:
					done = true
				default:
				}
				check := verify()
				Expect(check.Bad).To(BeNil(), "after %d checks while pruning", runs)
			}
		})

		It("can delete every record, and the chain goes on from the last one deleted", func() {
			clk.Advance(time.Hour)
			n, err := s.PruneAudit(ctx, clk.Now(), "worker")
			Expect(err).NotTo(HaveOccurred())
			Expect(n).To(Equal(6))
			appendEvents(2)
			check := verify()
			Expect(check.Bad).To(BeNil())
			Expect(check.From).To(BeEquivalentTo(7))
			Expect(check.Records).To(BeEquivalentTo(3))
		})

		It("still finds a record changed after the cut", func() {
			_, err := s.PruneAudit(ctx, t0.Add(3*time.Minute), "worker")
			Expect(err).NotTo(HaveOccurred())
			Expect(store.Exec(s, "UPDATE audit_log SET outcome = 'failed' WHERE seq = 5")).To(Succeed())
			check := verify()
			Expect(check.Bad).NotTo(BeNil())
			Expect(check.Bad.Seq).To(BeEquivalentTo(5))
		})

		It("refuses to delete records whose chain is broken, keeping the evidence", func() {
			Expect(store.Exec(s, "UPDATE audit_log SET actor = 'someone' WHERE seq = 2")).To(Succeed())
			_, err := s.PruneAudit(ctx, t0.Add(3*time.Minute), "worker")
			Expect(err).To(MatchError(ContainSubstring("breaks at record 2")))
			Expect(all()).To(HaveLen(6))
			Expect(verify().Bad.Seq).To(BeEquivalentTo(2))
		})
	})
}, backends)
