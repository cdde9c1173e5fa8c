package probe_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/ghttp"

	"github.com/service-connector/service-connector/deploy/probe"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
)

const allChecks = "exchange, retry, key works, health, revoke, key stops working, revoke again"

var _ = Describe("Prober", func() {
	var (
		ctx     context.Context
		timeout time.Duration
		target  func(base string) probe.Target
		run     func(h http.Handler) []probe.Result
	)

	BeforeEach(func() {
		ctx = context.Background()
		timeout = 2 * time.Second
		target = func(base string) probe.Target {
			return probe.Target{
				Service:  registryEntry(base),
				Secret:   services.Secret(sharedSecret),
				CheckURL: base + whoamiPath,
			}
		}
		run = func(h http.Handler) []probe.Result {
			server := httptest.NewServer(h)
			DeferCleanup(server.Close)
			p := probe.New(exchange.New(server.Client(), timeout), server.Client(), timeout)
			return p.Run(ctx, target(server.URL))
		}
	})

	When("the service is the reference implementation", func() {
		It("passes every check, in protocol order, without printing the key", func() {
			results := run(referenceHandler())
			Expect(checks(results)).To(Equal(allChecks))
			Expect(probe.AllPassed(results)).To(BeTrue(), strings.Join(lines(results), "\n"))
			Expect(line(results, probe.CheckExchange)).To(MatchRegexp(`^PASS exchange: valid answer with token_id \S+, expires_at \d{4}-`))
			Expect(line(results, probe.CheckKeyDead)).To(HavePrefix("PASS key stops working"))
			Expect(strings.Join(lines(results), "\n")).NotTo(Or(ContainSubstring("po_live_"), ContainSubstring(sharedSecret)))
		})

		It("asks for a key for the probe address with a fresh request id each run, and retries it once", func() {
			var seen []string
			ref := referenceHandler()
			results := run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == exchangePath {
					seen = append(seen, peekBody(r))
				}
				ref.ServeHTTP(w, r)
			}))
			Expect(probe.AllPassed(results)).To(BeTrue())
			Expect(seen).To(HaveLen(2))
			Expect(seen[0]).To(ContainSubstring(`"user_email":"probe@service-connector.invalid"`))
			Expect(seen[0]).To(MatchRegexp(`"request_id":"[0-9a-f-]{36}"`))
			Expect(seen[1]).To(Equal(seen[0]), "the retry is the same request")
			Expect(line(results, probe.CheckRetry)).To(Equal("PASS retry: a retry with the same request_id answered the same token_id"))
		})

		It("passes health when the registry names no health URL", func() {
			server := httptest.NewServer(referenceHandler())
			DeferCleanup(server.Close)
			t := target(server.URL)
			t.Service.HealthURL = ""
			results := probe.New(exchange.New(nil, timeout), nil, timeout).Run(ctx, t)
			Expect(line(results, probe.CheckHealth)).To(Equal("PASS health: no health_url in the registry, which is allowed"))
		})
	})

	When("the check URL does not take the key", func() {
		It("fails key works with the status it got", func() {
			server := httptest.NewServer(referenceHandler())
			DeferCleanup(server.Close)
			t := target(server.URL)
			t.CheckURL = server.URL + "/purchase_orders/api/nowhere"
			results := probe.New(exchange.New(nil, timeout), nil, timeout).Run(ctx, t)
			Expect(line(results, probe.CheckKeyWorks)).To(Equal("FAIL key works: the check URL answered HTTP 404 to a live key, want 2xx"))
			Expect(probe.AllPassed(results)).To(BeFalse())
		})
	})

	DescribeTable("a broken exchange answer fails the exchange with the precise reason",
		func(answer func(w http.ResponseWriter, r *http.Request), reason string) {
			ref := referenceHandler()
			results := run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == exchangePath {
					answer(w, r)
					return
				}
				ref.ServeHTTP(w, r)
			}))
			Expect(probe.AllPassed(results)).To(BeFalse())
			Expect(line(results, probe.CheckExchange)).To(And(HavePrefix("FAIL exchange: "), ContainSubstring(reason)))
			Expect(line(results, probe.CheckHealth)).To(Equal("PASS health: health_url answered 2xx"))
			Expect(line(results, probe.CheckRevokeAgain)).To(Equal("FAIL revoke again: not run: the exchange gave no key"))
			Expect(checks(results)).To(Equal(allChecks))
		},
		Entry("wrong status", jsonAnswer(`{"status":"okay","api_key":"po_live_abcdefgh1234","token_id":"tok_1"}`),
			`the service declined the request.: exchange token for purchase_orders at 127.0.0.1:`),
		Entry("wrong status, naming the field", jsonAnswer(`{"status":"okay","api_key":"po_live_abcdefgh1234","token_id":"tok_1"}`),
			`field status is not "ok"`),
		Entry("missing token_id", jsonAnswer(`{"status":"ok","api_key":"po_live_abcdefgh1234"}`),
			"field token_id is missing or not a valid token id"),
		Entry("answer too large", jsonAnswer(`{"status":"ok","api_key":"po_live_abcdefgh1234","token_id":"tok_1","pad":"`+strings.Repeat("x", 70<<10)+`"}`),
			"the service sent an answer that was too large."),
		Entry("an error status", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
			"the service answered with an error (HTTP 500)."),
	)

	When("the exchange answers too slowly", func() {
		BeforeEach(func() { timeout = 200 * time.Millisecond })

		It("fails the exchange as a timeout", func() {
			ref := referenceHandler()
			started := time.Now()
			results := run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == exchangePath {
					// A handler that has read the body learns when the client hangs up.
					_, _ = io.Copy(io.Discard, r.Body)
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return
				}
				ref.ServeHTTP(w, r)
			}))
			Expect(time.Since(started)).To(BeNumerically("<", 2*time.Second))
			Expect(line(results, probe.CheckExchange)).To(And(HavePrefix("FAIL exchange: "), ContainSubstring("the service did not answer in time.")))
		})
	})

	When("every call answers 500", func() {
		It("fails the exchange with the status and runs nothing that needs a key", func() {
			server := ghttp.NewServer()
			DeferCleanup(server.Close)
			server.RouteToHandler(http.MethodPost, exchangePath, ghttp.RespondWith(http.StatusInternalServerError, ""))
			server.RouteToHandler(http.MethodGet, "/purchase_orders/health", ghttp.RespondWith(http.StatusInternalServerError, ""))
			p := probe.New(exchange.New(nil, timeout), nil, timeout)
			results := p.Run(ctx, target(server.URL()))
			Expect(line(results, probe.CheckExchange)).To(ContainSubstring("the service answered with an error (HTTP 500)."))
			Expect(line(results, probe.CheckKeyWorks)).To(Equal("FAIL key works: not run: the exchange gave no key"))
			Expect(line(results, probe.CheckHealth)).To(And(HavePrefix("FAIL health: "), ContainSubstring("(HTTP 500)")))
			Expect(line(results, probe.CheckRevoke)).To(Equal("FAIL revoke: not run: the exchange gave no key"))
			Expect(server.ReceivedRequests()).To(HaveLen(2), "the exchange and the health check only")
		})
	})

	When("the service ignores request_id and mints a new key on every exchange", func() {
		It("warns, still passes, and revokes the second key so the probe leaves none live", func() {
			ref := referenceHandler()
			var revoked []string
			var n atomic.Int32
			results := run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == exchangePath {
					body := strings.Replace(peekBody(r), `"request_id":"`, `"request_id":"`+strconv.Itoa(int(n.Add(1))), 1)
					r.Body = io.NopCloser(strings.NewReader(body))
					r.ContentLength = int64(len(body))
				}
				if r.URL.Path == revokePath {
					revoked = append(revoked, peekBody(r))
				}
				ref.ServeHTTP(w, r)
			}))
			Expect(line(results, probe.CheckRetry)).To(MatchRegexp(`^WARN retry: a retry with the same request_id minted another key \(token \S+\); after a crash`))
			Expect(probe.AllPassed(results)).To(BeTrue(), strings.Join(lines(results), "\n"))
			Expect(revoked).To(HaveLen(3), "the second key, then the first twice")
		})
	})

	When("revoke answers ok but does not revoke", func() {
		It("fails key stops working because the key still works", func() {
			ref := referenceHandler()
			results := run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == revokePath {
					jsonAnswer(`{"status":"ok"}`)(w, r)
					return
				}
				ref.ServeHTTP(w, r)
			}))
			Expect(line(results, probe.CheckRevoke)).To(HavePrefix("PASS revoke"))
			Expect(line(results, probe.CheckKeyDead)).To(Equal(
				"FAIL key stops working: the key still works after revoke: the check URL answered HTTP 200, want 401 or 403"))
			Expect(probe.AllPassed(results)).To(BeFalse())
		})
	})

	When("a second revoke of the same token fails", func() {
		It("fails revoke again with the status", func() {
			ref := referenceHandler()
			var revokes atomic.Int32
			results := run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == revokePath && revokes.Add(1) > 1 {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				ref.ServeHTTP(w, r)
			}))
			Expect(line(results, probe.CheckRevoke)).To(HavePrefix("PASS revoke"))
			Expect(line(results, probe.CheckKeyDead)).To(HavePrefix("PASS key stops working"))
			Expect(line(results, probe.CheckRevokeAgain)).To(And(HavePrefix("FAIL revoke again: "), ContainSubstring("(HTTP 500)")))
			Expect(probe.AllPassed(results)).To(BeFalse())
		})
	})

	When("revoke declines", func() {
		It("fails revoke with the field that is wrong", func() {
			ref := referenceHandler()
			results := run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == revokePath {
					jsonAnswer(`{"status":"error"}`)(w, r)
					return
				}
				ref.ServeHTTP(w, r)
			}))
			Expect(line(results, probe.CheckRevoke)).To(ContainSubstring(`field status is not "ok"`))
			Expect(line(results, probe.CheckKeyDead)).To(HavePrefix("FAIL key stops working: the key still works"))
		})
	})
})

// jsonAnswer answers 200 with body as JSON.
func jsonAnswer(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
}
