package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// BenchmarkAdminPage measures the admin page, GET /admin over HTTP from the demo running in
// this process (SQLite with fsync on), signed in as an admin, at 10,000 and 100,000
// connections: its first page, a page deep in the list, a search and a filter, one after
// the other. It prints the render time's p50 and p99 and the largest HTML at each size,
// with their growth: every page reads its own rows by an index and the counts are bounded,
// so a page costs about the same whatever the company's size.
func BenchmarkAdminPage(b *testing.B) {
	p50, p99, size := map[int]float64{}, map[int]float64{}, map[int]float64{}
	for _, n := range storetest.AdminBenchSizes {
		b.Run(fmt.Sprintf("connections=%d", n), func(b *testing.B) {
			conns := storetest.People(n/len(storetest.DemoServices) + 1)[:n]
			// A full page of the revocation queue, waiting for an admin, shows too.
			var queue []store.Revocation
			for i := range 2 * connector.AdminQueueSize {
				queue = append(queue, store.Revocation{ServiceID: "crm", TokenID: fmt.Sprintf("tok_gone_%02d", i), UserEmail: "gone@example.com",
					Reason: "disconnected", QueuedAt: time.Now().UTC(), NeedsAttention: true,
					Retry: store.Retry{Attempts: 10, LastError: "CRM is unavailable: the service answered with an error (HTTP 503)."}})
			}
			portal := benchDemoOf(b, store.State{Connections: conns, Revocations: queue}, map[string]string{"SC_ADMIN_EMAILS": "carol@example.com"})
			client := benchSignIn(b, portal, "carol@example.com")
			deep := storetest.Person(n / 3 * 9 / 10).Email
			pages := []string{"/admin", "/admin?after=" + url.QueryEscape(deep+" crm"), "/admin?q=person0001", "/admin?service=invoicing&status=connected",
				"/admin?last=1"}
			var took []time.Duration
			largest := 0
			i := 0
			for b.Loop() {
				page := pages[i%len(pages)]
				i++
				start := time.Now()
				resp, err := client.Get(portal + page)
				if err != nil {
					b.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: HTTP %d, %v", page, resp.StatusCode, err)
				}
				took = append(took, time.Since(start))
				largest = max(largest, len(body))
			}
			p50[n] = storetest.Millis(storetest.Percentile(took, 50))
			p99[n] = storetest.Millis(storetest.Percentile(took, 99))
			size[n] = float64(largest) / 1024
			b.ReportMetric(p50[n], "p50-ms")
			b.ReportMetric(p99[n], "p99-ms")
			b.ReportMetric(size[n], "html-KiB")
		})
	}
	storetest.PrintConnectionsFigure(os.Stdout, "admin page render, p50", "ms", p50, "<= 50 ms at 100,000")
	storetest.PrintConnectionsFigure(os.Stdout, "admin page render, p99", "ms", p99, "")
	storetest.PrintConnectionsFigure(os.Stdout, "admin page HTML, largest", "KiB", size, "<= 200 KB at 100,000")
}
