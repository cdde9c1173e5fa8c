package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// benchServices are the three services every benchmark person is connected to.
var benchServices = []string{"crm", "invoicing", "purchase_orders"}

// BenchmarkStoreChange measures one store change of a Connect (read the person's connection,
// record the new key, its exchange intent and the pending delivery, in one transaction) on
// SQLite with durable commits (fsync on), at 1,000 and at 100,000 people with three
// connections each. It prints each size's p50 and p99 and their ratio: a change reads and
// writes only that person's rows, so the ratio stays near 1.
func BenchmarkStoreChange(b *testing.B) {
	sizes := []int{1_000, 100_000}
	p50, p99 := map[int]time.Duration{}, map[int]time.Duration{}
	for _, people := range sizes {
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
			slices.Sort(took)
			p50[people], p99[people] = took[len(took)/2], took[len(took)*99/100]
			b.ReportMetric(ms(p50[people]), "p50-ms")
			b.ReportMetric(ms(p99[people]), "p99-ms")
		})
	}
	small, large := sizes[0], sizes[len(sizes)-1]
	if p50[small] > 0 && p50[large] > 0 {
		fmt.Printf("store change on SQLite, fsync on: p50 %.2f ms at %d people, %.2f ms at %d (ratio %.2f); p99 %.2f ms, %.2f ms (ratio %.2f); target p50 <= 5 ms at %d\n",
			ms(p50[small]), small, ms(p50[large]), large, ratio(p50[large], p50[small]),
			ms(p99[small]), ms(p99[large]), ratio(p99[large], p99[small]), large)
	}
}

// BenchmarkSeed measures generating a database of 100,000 people with three connections each.
func BenchmarkSeed(b *testing.B) {
	for b.Loop() {
		seededStore(b, 100_000)
	}
}

// connectChange is the change Connect records once the service answered: one transaction.
func connectChange(ctx context.Context, s *store.Store, person, round int) error {
	email := fmt.Sprintf("person%06d@example.com", person)
	return s.Update(ctx, func(tx *store.Tx) error {
		prev, _, err := tx.Get(email, "crm")
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		conn := prev
		conn.TokenID, conn.APIKey, conn.ConnectedAt = fmt.Sprintf("tok_%d_%d", person, round), services.Secret(fmt.Sprintf("pk_live_%d_%d", person, round)), now
		if err := tx.Put(conn); err != nil {
			return err
		}
		in := store.Intent{RequestID: fmt.Sprintf("req-%d-%d", person, round), UserEmail: email, Username: conn.Username, ServiceID: "crm", TTLDays: 365, StartedAt: now, TokenID: conn.TokenID, Replaces: prev.TokenID}
		if err := tx.PutIntent(in); err != nil {
			return err
		}
		if _, ok, err := tx.Delivery(email); err != nil || ok {
			return err
		}
		return tx.PutDelivery(store.PendingDelivery{UserEmail: email, Username: conn.Username, Since: now, Retry: store.Retry{NextAttemptAt: now.Add(2 * time.Second)}})
	})
}

// seededStore opens a SQLite store in a temp dir with people people, three connections each.
func seededStore(b *testing.B, people int) *store.Store {
	b.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DataDir: b.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	conns := make([]services.Connection, 0, people*len(benchServices))
	expires := time.Now().Add(365 * 24 * time.Hour).UTC()
	for p := range people {
		email := fmt.Sprintf("person%06d@example.com", p)
		for _, svc := range benchServices {
			conns = append(conns, services.Connection{
				UserEmail: email, Username: fmt.Sprintf("person%06d", p), ServiceID: svc,
				TokenID: fmt.Sprintf("tok_%s_%d", svc, p), APIKey: services.Secret(fmt.Sprintf("pk_live_%s_%d_0123456789abcdef", svc, p)),
				ConnectedAt: time.Now().UTC(), ExpiresAt: expires, RevokeURL: "https://" + svc + ".internal.example/api/internal/token-revoke",
			})
		}
	}
	if err := store.Seed(ctx, s, conns); err != nil {
		b.Fatal(err)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
