package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/keyring"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// BenchmarkStoreChange measures one store change of a Connect (read the person's connection,
// opening its key, record the new key, sealed, its exchange intent and the pending delivery,
// in one transaction) on SQLite with durable commits (fsync on), at 1,000, 10,000 and 100,000 people with three
// connections each. It prints the p50 and p99 at each size and their growth: a change reads
// and writes only that person's rows, so the ratio stays near 1.
func BenchmarkStoreChange(b *testing.B) {
	p50, p99 := map[int]float64{}, map[int]float64{}
	for _, people := range storetest.BenchSizes {
		b.Run(fmt.Sprintf("people=%d", people), func(b *testing.B) {
			s := seededStore(b, people)
			ctx := context.Background()
			var took []time.Duration
			i := 0
			for b.Loop() {
				i++
				start := time.Now()
				if err := connectChange(ctx, s, rand.N(people), i); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			p50[people] = storetest.Millis(storetest.Percentile(took, 50))
			p99[people] = storetest.Millis(storetest.Percentile(took, 99))
			b.ReportMetric(p50[people], "p50-ms")
			b.ReportMetric(p99[people], "p99-ms")
		})
	}
	storetest.PrintFigure(os.Stdout, "store change (SQLite, fsync on) p50", "ms", p50, "<= 5 ms at 100,000")
	storetest.PrintFigure(os.Stdout, "store change (SQLite, fsync on) p99", "ms", p99, "")
}

// connectChange is the change Connect records once the service answered: one transaction,
// with the audit events given.
func connectChange(ctx context.Context, s *store.Store, person, round int, events ...store.AuditEvent) error {
	p := storetest.Person(person)
	return s.Update(ctx, func(tx *store.Tx) error {
		tx.Audit(events...)
		prev, _, err := tx.Get(p.Email, "crm")
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		conn := prev
		conn.TokenID, conn.APIKey, conn.ConnectedAt = fmt.Sprintf("tok_%d_%d", person, round), services.Secret(fmt.Sprintf("pk_live_%d_%d", person, round)), now
		if err := tx.Put(conn); err != nil {
			return err
		}
		in := store.Intent{RequestID: fmt.Sprintf("req-%d-%d", person, round), UserEmail: p.Email, Username: p.Username, ServiceID: "crm", TTLDays: 365, StartedAt: now, TokenID: conn.TokenID, Replaces: prev.TokenID}
		if err := tx.PutIntent(in); err != nil {
			return err
		}
		if _, ok, err := tx.Delivery(p.Email); err != nil || ok {
			return err
		}
		return tx.PutDelivery(store.PendingDelivery{UserEmail: p.Email, Username: p.Username, Since: now, Retry: store.Retry{NextAttemptAt: now.Add(2 * time.Second)}})
	})
}

// seededStore opens a SQLite store in a temp dir holding people people, three connections
// each, moved in from a connections.json as a first start would, their keys sealed at rest
// as the portal seals them.
func seededStore(b *testing.B, people int) *store.Store {
	b.Helper()
	dir := b.TempDir()
	if err := storetest.WriteFileStore(dir, store.State{Connections: storetest.People(people)}); err != nil {
		b.Fatal(err)
	}
	keys, err := keyring.Parse(keyring.NewKeyLine())
	if err != nil {
		b.Fatal(err)
	}
	s, err := store.Open(context.Background(), store.Config{DataDir: dir, Keys: keys, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return s
}

// BenchmarkAuditAppend measures what appending its audit record adds to a store change: the
// change of BenchmarkStoreChange with and without an audit record, alternately in the same
// loop so both meet the same noise, on a log already holding a record per person. It prints
// the p50 of each at every size.
func BenchmarkAuditAppend(b *testing.B) {
	plain, audited := map[int]float64{}, map[int]float64{}
	for _, people := range storetest.BenchSizes {
		b.Run(fmt.Sprintf("people=%d", people), func(b *testing.B) {
			s := seededStore(b, people)
			ctx := context.Background()
			if err := s.Update(ctx, func(tx *store.Tx) error {
				for i := range people {
					tx.Audit(benchEvent(i, 0))
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			var withoutTook, withTook []time.Duration
			i := 0
			for b.Loop() {
				i++
				person := rand.N(people)
				start := time.Now()
				var err error
				if i%2 == 0 {
					err = connectChange(ctx, s, person, i)
					withoutTook = append(withoutTook, time.Since(start))
				} else {
					err = connectChange(ctx, s, person, i, benchEvent(person, i))
					withTook = append(withTook, time.Since(start))
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			plain[people] = storetest.Millis(storetest.Percentile(withoutTook, 50))
			audited[people] = storetest.Millis(storetest.Percentile(withTook, 50))
			b.ReportMetric(plain[people], "p50-plain-ms")
			b.ReportMetric(audited[people], "p50-audited-ms")
		})
	}
	storetest.PrintFigure(os.Stdout, "store change without an audit record p50", "ms", plain, "")
	storetest.PrintFigure(os.Stdout, "the same change with its audit record p50", "ms", audited, "")
}

// benchEvent is the audit record of a Connect of the benchmark's person.
func benchEvent(person, round int) store.AuditEvent {
	p := storetest.Person(person)
	return store.AuditEvent{Actor: p.Email, Kind: "connect", Person: p.Email, Account: p.Username, ServiceID: "crm",
		TokenID: fmt.Sprintf("tok_%d_%d", person, round), Outcome: "ok", Reason: "the key is recorded and delivered"}
}
