package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// BenchmarkAdminQueries measures the admin page's queries at 1,000, 10,000 and 100,000
// people with three connections each (3,000 to 300,000 connections): a page of connections
// with its bounded count, first, deep, last, searched and filtered every way, and the counts
// of the services and queues. It prints, at each size with their growth, the p50 of the
// slowest page query (which stays flat: keyset pages read their own rows by an index) and
// of the counts (which grow: they walk the service index).
func BenchmarkAdminQueries(b *testing.B) {
	now := time.Now()
	queries := map[string]store.ConnectionQuery{
		"first page":      {},
		"deep page":       {}, // After is set per size below
		"last page":       {Last: true},
		"search":          {Search: "person0004"},
		"search, rare":    {Search: "nobody"},
		"service":         {ServiceID: "invoicing"},
		"expired":         {State: store.StateExpired},
		"expiring":        {State: store.StateExpiring},
		"live":            {State: store.StateLive},
		"delivery":        {State: store.StateDeliveryPending},
		"service+expired": {ServiceID: "crm", State: store.StateExpired},
	}
	worst, counts := map[int]float64{}, map[int]float64{}
	for _, people := range storetest.BenchSizes {
		b.Run(fmt.Sprintf("people=%d", people), func(b *testing.B) {
			s := seededStore(b, people)
			ctx := context.Background()
			took := map[string][]time.Duration{}
			for b.Loop() {
				for name, q := range queries {
					q.Now, q.Warning, q.Limit, q.CountUpTo = now, 14*24*time.Hour, 50, 10_000
					if name == "deep page" {
						q.After = store.Cursor{Email: storetest.Person(people * 9 / 10).Email}
					}
					start := time.Now()
					if _, err := s.SearchConnections(ctx, q); err != nil {
						b.Fatal(err)
					}
					took[name] = append(took[name], time.Since(start))
				}
				start := time.Now()
				if _, err := s.Counts(ctx, now); err != nil {
					b.Fatal(err)
				}
				took["counts"] = append(took["counts"], time.Since(start))
			}
			for name, t := range took {
				p50 := storetest.Millis(storetest.Percentile(t, 50))
				if name == "counts" {
					counts[people] = p50
				} else {
					worst[people] = max(worst[people], p50)
				}
				b.ReportMetric(p50, strings.NewReplacer(" ", "-", ",", "", "+", "-").Replace(name)+"-p50-ms")
			}
		})
	}
	storetest.PrintFigure(os.Stdout, "admin page of connections, slowest query, p50", "ms", worst, "")
	storetest.PrintFigure(os.Stdout, "admin counts (services, queues), p50", "ms", counts, "")
}
