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

// BenchmarkAdminQueries measures the admin page's queries (a page of connections with its
// count, searched, filtered, deep, and the counts of the services and queues) at 1,000,
// 10,000 and 100,000 people with three connections each, and prints the slowest query's p50
// at each size with their growth.
func BenchmarkAdminQueries(b *testing.B) {
	now := time.Now()
	queries := map[string]store.ConnectionQuery{
		"first page":      {},
		"deep page":       {After: store.Cursor{Email: storetest.Person(0).Email}, Last: false},
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
	worst := map[int]float64{}
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
				worst[people] = max(worst[people], p50)
				b.ReportMetric(p50, strings.NewReplacer(" ", "-", ",", "", "+", "-").Replace(name)+"-p50-ms")
			}
		})
	}
	storetest.PrintFigure(os.Stdout, "admin query, slowest of the page's queries, p50", "ms", worst, "")
}
