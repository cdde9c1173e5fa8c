package exchange_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/ghttp"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
)

const exchangePath = "/api/internal/token-exchange"

var _ = Describe("Exchange", func() {
	var (
		server     *ghttp.Server
		elsewhere  *ghttp.Server
		httpClient *http.Client
		client     *exchange.Client
		svc        services.Service
		request    exchange.Request
	)

	BeforeEach(func() {
		server = ghttp.NewServer()
		DeferCleanup(server.Close)
		// elsewhere would hand out a key to anyone: a redirect must never reach it.
		elsewhere = ghttp.NewServer()
		DeferCleanup(elsewhere.Close)
		elsewhere.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(nil)))

		transport := &http.Transport{}
		DeferCleanup(transport.CloseIdleConnections)
		httpClient = &http.Client{Transport: transport}
		client = exchange.New(httpClient, longTimeout)

		svc = services.Service{
			ID:               "purchase_orders",
			Name:             "Purchase Orders",
			TokenExchangeURL: server.URL() + exchangePath,
			TokenRevokeURL:   server.URL() + "/api/internal/token-revoke",
		}
		request = exchange.Request{UserEmail: email, TTLDays: 365, RequestID: "3f1c2b9e-5a7d-4e8f-9b6a-0c1d2e3f4a5b"}
	})

	When("the service answers as the protocol says", func() {
		BeforeEach(func() {
			server.AppendHandlers(ghttp.CombineHandlers(
				ghttp.VerifyRequest(http.MethodPost, exchangePath),
				ghttp.VerifyHeaderKV("Authorization", "Bearer "+secret.Reveal()),
				ghttp.VerifyHeaderKV("Accept", "application/json"),
				ghttp.VerifyContentType("application/json"),
				ghttp.VerifyJSONRepresenting(map[string]any{
					"user_email": email,
					"ttl_days":   365,
					"request_id": "3f1c2b9e-5a7d-4e8f-9b6a-0c1d2e3f4a5b",
				}),
				ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{
					"api_key":    "pk_live_abc123",
					"expires_at": "2027-11-22T14:00:00+02:00",
				})),
			))
		})

		It("sends the shared secret and the request, and returns the token", func(ctx SpecContext) {
			token, err := client.Exchange(ctx, svc, secret, request)

			Expect(err).NotTo(HaveOccurred())
			Expect(server.ReceivedRequests()).To(HaveLen(1))
			Expect(token.APIKey.Reveal()).To(Equal("pk_live_abc123"))
			Expect(token.TokenID).To(Equal("tok_xyz789"))
			Expect(token.ExpiresAt).To(BeTemporally("==", time.Date(2027, 11, 22, 12, 0, 0, 0, time.UTC)))
		})

		It("leaves the caller's http.Client as it was", func(ctx SpecContext) {
			_, err := client.Exchange(ctx, svc, secret, request)

			Expect(err).NotTo(HaveOccurred())
			Expect(httpClient.CheckRedirect).To(BeNil())
		})
	})

	DescribeTable("accepts an answer without an expiry, as a key that does not expire",
		func(expiresAt any) {
			// okAnswer's overrides cannot express a JSON null, so the answer is built here.
			answer := okAnswer(map[string]any{"expires_at": nil})
			if expiresAt != "absent" {
				answer["expires_at"] = expiresAt
			}
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, answer))

			token, err := client.Exchange(context.Background(), svc, secret, request)

			Expect(err).NotTo(HaveOccurred())
			Expect(token.APIKey.Reveal()).To(Equal(leakyKey))
			Expect(token.ExpiresAt.IsZero()).To(BeTrue())
		},
		Entry("expires_at absent", "absent"),
		Entry("expires_at empty", ""),
		Entry("expires_at null", nil),
	)

	It("accepts an answer of exactly 64 KiB", func(ctx SpecContext) {
		server.AppendHandlers(ghttp.RespondWith(http.StatusOK, paddedAnswer(64<<10)))

		token, err := client.Exchange(ctx, svc, secret, request)

		Expect(err).NotTo(HaveOccurred())
		Expect(token.TokenID).To(Equal("tok_xyz789"))
	})

	When("the service stalls", func() {
		BeforeEach(func() {
			client = exchange.New(httpClient, shortTimeout)
			server.AppendHandlers(stall)
		})

		It("gives up after the timeout", func(ctx SpecContext) {
			start := time.Now()
			_, err := client.Exchange(ctx, svc, secret, request)

			expectUnavailable(err, "did not answer in time")
			Expect(time.Since(start)).To(BeNumerically(">=", shortTimeout))
			Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second))
		})
	})

	When("the caller gives up", func() {
		It("stops waiting and says the request was cancelled", func(ctx SpecContext) {
			server.AppendHandlers(stall)
			callCtx, cancel := context.WithCancel(ctx)
			time.AfterFunc(50*time.Millisecond, cancel)

			token, err := client.Exchange(callCtx, svc, secret, request)

			expectUnavailable(err, "the request was cancelled")
			Expect(token).To(BeZero())
		})
	})

	DescribeTable("names the key it cannot use when the service said which one it minted, so it can be revoked",
		func(overrides map[string]any, tokenID string) {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(overrides)))

			token, err := client.Exchange(context.Background(), svc, secret, request)

			Expect(err).To(HaveOccurred())
			Expect(token).To(Equal(services.Token{TokenID: tokenID}))
		},
		Entry("a bad api_key", map[string]any{"api_key": "a b"}, "tok_xyz789"),
		Entry("a bad expires_at", map[string]any{"expires_at": "tomorrow"}, "tok_xyz789"),
		Entry("no token_id: nothing to name", map[string]any{"api_key": "a b", "token_id": nil}, ""),
		Entry("status not ok: nothing was minted", map[string]any{"status": "error"}, ""),
	)

	DescribeTable("tells a refusal (4xx), after which nothing was minted, from failures that may follow a minted key",
		func(status int, refused bool) {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(status, okAnswer(nil)))

			_, err := client.Exchange(context.Background(), svc, secret, request)

			Expect(err).To(HaveOccurred())
			Expect(errors.Is(err, exchange.ErrRefused)).To(Equal(refused))
			Expect(errors.Is(err, exchange.ErrServiceFailed)).To(BeTrue(), "every failure of the call is the service's")
		},
		Entry("400", http.StatusBadRequest, true),
		Entry("401", http.StatusUnauthorized, true),
		Entry("409", http.StatusConflict, true),
		Entry("500", http.StatusInternalServerError, false),
		Entry("502", http.StatusBadGateway, false),
		Entry("503", http.StatusServiceUnavailable, false),
		Entry("302", http.StatusFound, false),
	)

	DescribeTable("refuses answers it cannot trust, and gives no usable token",
		func(arrange func(), reason string) {
			arrange()

			token, err := client.Exchange(context.Background(), svc, secret, request)

			expectUnavailable(err, reason)
			Expect(token.APIKey.Reveal()).To(BeEmpty())
			Expect(token.ExpiresAt).To(BeZero())
			// Only the id of a key the service said it minted comes back, to be revoked.
			Expect(token.TokenID).To(Or(BeEmpty(), HavePrefix("tok_")))
			Expect(elsewhere.ReceivedRequests()).To(BeEmpty(), "the request must not be sent on to another server")
		},
		Entry("HTTP 401", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusUnauthorized, okAnswer(nil)))
		}, "the service refused the request (HTTP 401)."),
		Entry("HTTP 500", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusInternalServerError, okAnswer(nil)))
		}, "(HTTP 500)."),
		Entry("a 302 redirect to a server that would answer ok", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusFound, nil,
				http.Header{"Location": {elsewhere.URL() + exchangePath}}))
		}, "(HTTP 302)."),
		Entry("a 307 redirect, which would resend the body", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusTemporaryRedirect, nil,
				http.Header{"Location": {elsewhere.URL() + exchangePath}}))
		}, "(HTTP 307)."),
		Entry(`status "error"`, func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"status": "error"})))
		}, "the service declined the request."),
		Entry("status missing", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"status": nil})))
		}, "the service declined the request."),
		Entry("api_key missing", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"api_key": nil})))
		}, "could not use"),
		Entry("api_key empty", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"api_key": ""})))
		}, "could not use"),
		Entry("api_key not a string", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusOK,
				`{"status":"ok","api_key":["`+leakyKey+`"],"token_id":"tok_1"}`))
		}, "could not use"),
		Entry("api_key too short (7 characters)", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"api_key": leak + "ab"})))
		}, "could not use"),
		Entry("api_key too long (4097 characters)", func() {
			key := "pk_" + leak + strings.Repeat("a", 4097-len("pk_"+leak))
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"api_key": key})))
		}, "could not use"),
		Entry("api_key with a newline", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"api_key": leakyKey + "\nEVIL=1"})))
		}, "could not use"),
		Entry("api_key with a quote", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"api_key": leakyKey + `"x`})))
		}, "could not use"),
		Entry("api_key with a space", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"api_key": "pk_live " + leak + "xx"})))
		}, "could not use"),
		Entry("api_key with a dollar sign", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"api_key": leakyKey + "$(id)"})))
		}, "could not use"),
		Entry("token_id missing", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"token_id": nil})))
		}, "could not use"),
		Entry("token_id empty", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"token_id": ""})))
		}, "could not use"),
		Entry("token_id longer than 256 characters", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"token_id": strings.Repeat("t", 257)})))
		}, "could not use"),
		Entry("token_id with a control character", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"token_id": "tok_1\n" + leak})))
		}, "could not use"),
		Entry("expires_at not RFC 3339", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"expires_at": "22/11/2027 " + leak})))
		}, "could not use"),
		Entry("expires_at a number", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, okAnswer(map[string]any{"expires_at": 1795262400})))
		}, "could not use"),
		Entry("not JSON", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusOK, "status=ok&api_key="+leakyKey))
		}, "could not use"),
		Entry("a JSON array", func() {
			server.AppendHandlers(ghttp.RespondWithJSONEncoded(http.StatusOK, []any{okAnswer(nil)}))
		}, "could not use"),
		Entry("JSON followed by trailing data", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusOK, `{"status":"ok","api_key":"`+leakyKey+`","token_id":"t"} {}`))
		}, "could not use"),
		Entry("an empty body", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusOK, ""))
		}, "could not use"),
		Entry("a valid-looking body of 64 KiB + 1 byte, declared in Content-Length", func() {
			body := paddedAnswer(64<<10 + 1)
			server.AppendHandlers(ghttp.RespondWith(http.StatusOK, body,
				http.Header{"Content-Length": {strconv.Itoa(len(body))}}))
		}, "too large"),
		Entry("a valid-looking body of 65 KiB, chunked without a length", func() {
			server.AppendHandlers(ghttp.RespondWith(http.StatusOK, paddedAnswer(65<<10)))
		}, "too large"),
		Entry("no answer within the timeout", func() {
			client = exchange.New(httpClient, shortTimeout)
			server.AppendHandlers(stall)
		}, "the service did not answer in time."),
		Entry("a body that stops coming before the timeout", func() {
			client = exchange.New(httpClient, shortTimeout)
			server.AppendHandlers(stallMidBody)
		}, "the service did not answer in time."),
		Entry("connection refused", func() {
			svc.TokenExchangeURL = refusedURL(exchangePath)
		}, "the service could not be reached."),
		Entry("an exchange URL that is not http(s), with credentials in it", func() {
			svc.TokenExchangeURL = "ftp://admin:" + leak + "@" + strings.TrimPrefix(server.URL(), "http://") + exchangePath
		}, "its address in the registry is not usable."),
	)
})
