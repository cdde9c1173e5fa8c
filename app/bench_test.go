package app_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/service-connector/service-connector/app"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// BenchmarkDashboard measures one render of the dashboard, GET / over HTTP from the demo
// running in this process (SQLite with fsync on), signed in as one person of a company of
// 1,000, 10,000 and 100,000 people with three connections each: the session read, the
// person's connections and pending delivery, and the page. The load script (go run ./bench)
// measures renders per second with 16 clients.
func BenchmarkDashboard(b *testing.B) {
	p50, p99 := map[int]float64{}, map[int]float64{}
	for _, people := range storetest.BenchSizes {
		b.Run(fmt.Sprintf("people=%d", people), func(b *testing.B) {
			portal := benchDemo(b, people)
			client := benchSignIn(b, portal, storetest.Person(people/2).Email)
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				resp, err := client.Get(portal + "/")
				if err != nil {
					b.Fatal(err)
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("GET /: HTTP %d, %v", resp.StatusCode, err)
				}
				took = append(took, time.Since(start))
			}
			p50[people] = storetest.Millis(storetest.Percentile(took, 50))
			p99[people] = storetest.Millis(storetest.Percentile(took, 99))
			b.ReportMetric(p50[people], "p50-ms")
			b.ReportMetric(p99[people], "p99-ms")
		})
	}
	storetest.PrintFigure(os.Stdout, "dashboard render, one client, p50", "ms", p50, "")
	storetest.PrintFigure(os.Stdout, "dashboard render, one client, p99", "ms", p99, "")
}

// benchDemo runs the demo in this process on a company of people, moved in from a
// connections.json on its first start, and returns the portal's URL.
func benchDemo(b *testing.B, people int) string {
	b.Helper()
	return benchDemoOf(b, store.State{Connections: storetest.People(people)}, nil)
}

// benchDemoOf runs the demo in this process on st, moved in from a connections.json on its
// first start, with the settings env adds, and returns the portal's URL.
func benchDemoOf(b *testing.B, st store.State, env map[string]string) string {
	b.Helper()
	dir := b.TempDir()
	if err := storetest.WriteFileStore(dir, st); err != nil {
		b.Fatal(err)
	}
	vars := map[string]string{"SC_DATA_DIR": dir, "SC_ADDR": "127.0.0.1:0", "SC_DEMO_SERVICES_ADDR": "127.0.0.1:0", "SC_LOG_LEVEL": "error"}
	for k, v := range env {
		vars[k] = v
	}
	out, w := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		exited <- app.Run(ctx, []string{"service-connector", "demo"}, func(k string) string { return vars[k] }, w, io.Discard)
		w.Close()
	}()
	b.Cleanup(func() { cancel(); <-exited })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := portalLine.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return "http://" + m[1]
		}
	}
	b.Fatal("the demo did not start")
	return ""
}

// benchSignIn signs in as email and returns the browser holding the session.
func benchSignIn(b *testing.B, portal, email string) *http.Client {
	b.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(portal+"/auth/dev-login", url.Values{"email": {email}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("dev sign-in: HTTP %d", resp.StatusCode)
	}
	return client
}
