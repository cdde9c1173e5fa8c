package exchange_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/ghttp"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
)

var _ = Describe("Health", func() {
	var (
		server     *ghttp.Server
		httpClient *http.Client
		client     *exchange.Client
		svc        services.Service
	)

	BeforeEach(func() {
		server = ghttp.NewServer()
		DeferCleanup(server.Close)
		transport := &http.Transport{}
		DeferCleanup(transport.CloseIdleConnections)
		httpClient = &http.Client{Transport: transport}
		client = exchange.New(httpClient, longTimeout)
		svc = services.Service{ID: "purchase_orders", Name: "Purchase Orders", HealthURL: server.URL() + "/health"}
	})

	DescribeTable("calls a service healthy when its health URL answers 2xx",
		func(status int) {
			server.AppendHandlers(ghttp.CombineHandlers(
				ghttp.VerifyRequest(http.MethodGet, "/health"),
				ghttp.RespondWith(status, "fine"),
			))

			Expect(client.Health(GinkgoT().Context(), svc)).To(Succeed())
			Expect(server.ReceivedRequests()).To(HaveLen(1))
		},
		Entry("HTTP 200", http.StatusOK),
		Entry("HTTP 204", http.StatusNoContent),
	)

	It("calls a service that answers 503 unhealthy", func(ctx SpecContext) {
		server.AppendHandlers(ghttp.RespondWith(http.StatusServiceUnavailable, "down"))

		expectUnavailable(client.Health(ctx, svc), "Purchase Orders is not healthy: the service answered with an error (HTTP 503).")
	})

	It("calls a service that does not answer in time unhealthy", func(ctx SpecContext) {
		client = exchange.New(httpClient, shortTimeout)
		server.AppendHandlers(stall)

		expectUnavailable(client.Health(ctx, svc), "the service did not answer in time.")
	})

	It("calls a service that cannot be reached unhealthy", func(ctx SpecContext) {
		svc.HealthURL = refusedURL("/health")

		expectUnavailable(client.Health(ctx, svc), "the service could not be reached.")
	})

	It("refuses to check a service without a health URL, as invalid", func(ctx SpecContext) {
		svc.HealthURL = ""

		err := client.Health(ctx, svc)

		Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
		Expect(services.ErrorMessage(err)).To(Equal("Purchase Orders has no health check."))
	})
})
