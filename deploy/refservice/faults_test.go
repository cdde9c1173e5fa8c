package refservice_test

import (
	"net/http"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/deploy/refservice"
)

var _ = Describe("ParseFaults", func() {
	DescribeTable("reads a valid description",
		func(s string, want refservice.Faults) {
			Expect(refservice.ParseFaults(s)).To(Equal(want))
		},
		Entry("the empty string injects nothing", "", refservice.Faults{}),
		Entry("every key", "exchange=0.1,revoke=0.2,health=0.1,latency=0-200ms",
			refservice.Faults{Exchange: 0.1, Revoke: 0.2, Health: 0.1, LatencyMax: 200 * time.Millisecond}),
		Entry("latency in seconds, spaces around parts", " latency=1-2s , exchange=1 ",
			refservice.Faults{Exchange: 1, LatencyMin: time.Second, LatencyMax: 2 * time.Second}),
		Entry("lost answers and failed deliveries", "lost=0.05,deliver=0.05", refservice.Faults{Lost: 0.05, Deliver: 0.05}),
		Entry("the largest latency", "latency=10-10s", refservice.Faults{LatencyMin: 10 * time.Second, LatencyMax: 10 * time.Second}),
	)

	DescribeTable("refuses an invalid description with a clear message",
		func(s, message string) {
			_, err := refservice.ParseFaults(s)
			Expect(err).To(MatchError(message))
		},
		Entry("not key=value", "bogus", `faults: "bogus" is not key=value`),
		Entry("an empty part", "exchange=0.1,,revoke=0.2", `faults: "" is not key=value`),
		Entry("an unknown key", "delivery=0.1", `faults: unknown key "delivery"; the keys are exchange, lost, revoke, health, deliver and latency`),
		Entry("a duplicate key", "revoke=0.1,revoke=0.2", `faults: revoke is given twice`),
		Entry("a probability above 1", "exchange=1.5", `faults: exchange=1.5 is not a probability between 0 and 1`),
		Entry("a negative probability", "health=-0.1", `faults: health=-0.1 is not a probability between 0 and 1`),
		Entry("NaN", "revoke=NaN", `faults: revoke=NaN is not a probability between 0 and 1`),
		Entry("no unit", "latency=0-200", `faults: latency=0-200 is not a range such as 0-200ms or 1-2s`),
		Entry("no range", "latency=200ms", `faults: latency=200ms is not a range such as 0-200ms or 1-2s`),
		Entry("a negative bound", "latency=-1-2s", `faults: latency=-1-2s is not a range such as 0-200ms or 1-2s`),
		Entry("min above max", "latency=200-100ms", `faults: latency=200-100ms: the minimum is above the maximum`),
		Entry("max above 10s", "latency=0-11s", `faults: latency=0-11s: the maximum is above 10s`),
	)
})

var _ = Describe("a reference service with injected faults", func() {
	var (
		svc    *refservice.Service
		server *httptest.Server
		w      *world
	)

	// start serves Purchase Orders alone with faults, through the specs' usual client.
	start := func(faults refservice.Faults) {
		GinkgoHelper()
		clock := &fakeClock{now: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)}
		svc = newService(refservice.Config{ID: "purchase_orders", Name: "Purchase Orders", API: refservice.PurchaseOrders,
			Secret: poSecret, Now: clock.Now, Faults: faults})
		server = httptest.NewServer(refservice.Handler(svc))
		DeferCleanup(server.Close)
		w = &world{clock: clock, po: svc, server: server, client: server.Client()}
	}

	When("an exchange answer is lost", func() {
		BeforeEach(func() {
			draws := []float64{0, 0.9} // the first exchange loses its answer, the second does not
			start(refservice.Faults{Lost: 0.5, Rand: func() float64 { d := draws[0]; draws = draws[1:]; return d }})
		})

		It("mints the key but answers 503, and a retry with the same request_id gets that key", func() {
			a := w.exchange(`{"user_email":"alice@example.com","request_id":"r-1"}`)
			Expect(a.status).To(Equal(http.StatusServiceUnavailable))
			Expect(a.json).NotTo(HaveKey("api_key"))
			Expect(svc.LiveTokens()).To(HaveLen(1))
			minted := svc.LiveTokens()[0].TokenID

			b := w.exchange(`{"user_email":"alice@example.com","request_id":"r-1"}`)
			Expect(b.status).To(Equal(http.StatusOK))
			Expect(b.json).To(HaveKeyWithValue("token_id", minted))
			Expect(svc.LiveTokens()).To(HaveLen(1))
		})
	})

	When("every call is a fault", func() {
		BeforeEach(func() {
			start(refservice.Faults{Exchange: 1, Revoke: 1, Health: 1, Rand: func() float64 { return 0 }})
		})

		It("answers an exchange 503 and mints nothing", func() {
			a := w.exchange(`{"user_email":"alice@example.com"}`)
			Expect(a.status).To(Equal(http.StatusServiceUnavailable))
			Expect(a.json).To(Equal(map[string]any{"status": "error", "error": "injected fault"}))
			Expect(svc.LiveTokens()).To(BeEmpty())
		})

		It("answers health 503", func() {
			a := w.get("/purchase_orders/health", "")
			Expect(a.status).To(Equal(http.StatusServiceUnavailable))
			Expect(a.json).To(HaveKeyWithValue("error", "injected fault"))
		})

		It("still checks the shared secret first", func() {
			a := w.do(http.MethodPost, "/purchase_orders/api/internal/token-exchange", "wrong", `{"user_email":"alice@example.com"}`)
			Expect(a.status).To(Equal(http.StatusUnauthorized))
		})
	})

	When("only revoke fails", func() {
		BeforeEach(func() {
			start(refservice.Faults{Revoke: 1, Rand: func() float64 { return 0 }})
		})

		It("answers the revoke 503 and the key keeps working", func() {
			key, tokenID := w.connect("purchase_orders", poSecret, "alice@example.com")
			a := w.revoke(tokenID)
			Expect(a.status).To(Equal(http.StatusServiceUnavailable))
			Expect(a.json).To(HaveKeyWithValue("error", "injected fault"))
			Expect(w.get("/purchase_orders/api/whoami", key.Reveal()).status).To(Equal(http.StatusOK))
			Expect(svc.LiveTokens()).To(HaveLen(1))
		})

		It("leaves the business API alone", func() {
			key, _ := w.connect("purchase_orders", poSecret, "alice@example.com")
			Expect(w.get("/purchase_orders/api/purchase-orders", key.Reveal()).status).To(Equal(http.StatusOK))
		})
	})

	When("the dice say no fault", func() {
		BeforeEach(func() {
			start(refservice.Faults{Exchange: 0.1, Revoke: 0.1, Health: 0.1, Rand: func() float64 { return 0.99 }})
		})

		It("serves exchange, revoke and health as usual", func() {
			key, tokenID := w.connect("purchase_orders", poSecret, "alice@example.com")
			Expect(w.get("/purchase_orders/health", "").status).To(Equal(http.StatusOK))
			Expect(w.revoke(tokenID).status).To(Equal(http.StatusOK))
			Expect(w.get("/purchase_orders/api/whoami", key.Reveal()).status).To(Equal(http.StatusUnauthorized))
			Expect(svc.LiveTokens()).To(BeEmpty())
		})
	})

	When("latency is injected", func() {
		BeforeEach(func() {
			start(refservice.Faults{LatencyMin: 50 * time.Millisecond, LatencyMax: 60 * time.Millisecond})
		})

		It("answers health no sooner than the minimum", func() {
			began := time.Now()
			Expect(w.get("/purchase_orders/health", "").status).To(Equal(http.StatusOK))
			Expect(time.Since(began)).To(BeNumerically(">=", 50*time.Millisecond))
		})

		It("delays the exchange too, and still mints", func() {
			began := time.Now()
			w.connect("purchase_orders", poSecret, "alice@example.com")
			Expect(time.Since(began)).To(BeNumerically(">=", 50*time.Millisecond))
			Expect(svc.LiveTokens()).To(HaveLen(1))
		})
	})
})
