package exchange_test

import (
	"context"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/ghttp"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
)

const revokePath = "/api/internal/token-revoke"

var _ = Describe("Revoke", func() {
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
		svc = services.Service{
			ID:               "purchase_orders",
			Name:             "Purchase Orders",
			TokenExchangeURL: server.URL() + exchangePath,
			TokenRevokeURL:   server.URL() + revokePath,
		}
	})

	When("the service confirms the revocation", func() {
		BeforeEach(func() {
			server.AppendHandlers(ghttp.CombineHandlers(
				ghttp.VerifyRequest(http.MethodPost, revokePath),
				ghttp.VerifyHeaderKV("Authorization", "Bearer "+secret.Reveal()),
				ghttp.VerifyContentType("application/json"),
				ghttp.VerifyJSONRepresenting(map[string]any{"token_id": "tok_xyz789"}),
				ghttp.RespondWithJSONEncoded(http.StatusOK, map[string]any{"status": "ok"}),
			))
		})

		It("sends the token id with the shared secret and succeeds", func(ctx SpecContext) {
			Expect(client.Revoke(ctx, svc, secret, "tok_xyz789")).To(Succeed())
			Expect(server.ReceivedRequests()).To(HaveLen(1))
		})
	})

	When("the token id is empty", func() {
		It("refuses without calling the service, as invalid", func(ctx SpecContext) {
			err := client.Revoke(ctx, svc, secret, "")

			Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
			Expect(server.ReceivedRequests()).To(BeEmpty())
		})
	})

	DescribeTable("reports every other answer as a failure",
		func(arrange func(), reason string) {
			arrange()

			expectUnavailable(client.Revoke(context.Background(), svc, secret, "tok_xyz789"), reason)
		},
		Entry("HTTP 404", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusNotFound, map[string]any{"status": "ok"}))
		}, "could not revoke the key: the service refused the request (HTTP 404)."),
		Entry("HTTP 500", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusInternalServerError, map[string]any{"status": "ok"}))
		}, "(HTTP 500)."),
		Entry(`status "error"`, func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, map[string]any{"status": "error", "detail": leakyKey}))
		}, "the service declined the request."),
		Entry("status missing", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, map[string]any{"revoked": true}))
		}, "the service declined the request."),
		Entry("not JSON", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusOK, "ok "+leakyKey))
		}, "could not use"),
		Entry("a body over 64 KiB", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusOK, paddedAnswer(65<<10)))
		}, "too large"),
		Entry("a redirect", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusFound, nil, http.Header{"Location": {"http://127.0.0.1:1/"}}))
		}, "(HTTP 302)."),
		Entry("no answer within the timeout", func() {
			client = exchange.New(httpClient, shortTimeout)
			server.AppendHandlers(stall)
		}, "the service did not answer in time."),
		Entry("connection refused", func() {
			svc.TokenRevokeURL = refusedURL(revokePath)
		}, "the service could not be reached."),
	)

	It("gives up after the timeout", func(ctx SpecContext) {
		client = exchange.New(httpClient, shortTimeout)
		server.AppendHandlers(stall)

		start := time.Now()
		err := client.Revoke(ctx, svc, secret, "tok_xyz789")

		Expect(err).To(HaveOccurred())
		Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second))
	})
})
