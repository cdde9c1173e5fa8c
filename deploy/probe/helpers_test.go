package probe_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/deploy/probe"
	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
)

const (
	sharedSecret = "probe-spec-shared-secret"
	exchangePath = "/purchase_orders/api/internal/token-exchange"
	revokePath   = "/purchase_orders/api/internal/token-revoke"
	whoamiPath   = "/purchase_orders/api/whoami"
)

// referenceHandler is the real reference purchase-orders service, mounted under its id.
func referenceHandler() http.Handler {
	GinkgoHelper()
	svc, err := refservice.New(refservice.Config{
		ID: "purchase_orders", Name: "Purchase Orders", API: refservice.PurchaseOrders,
		Secret: services.Secret(sharedSecret),
	})
	Expect(err).NotTo(HaveOccurred())
	return refservice.Handler(svc)
}

// registryEntry is the registry's view of a purchase-orders service at base.
func registryEntry(base string) services.Service {
	return services.Service{
		ID: "purchase_orders", Name: "Purchase Orders",
		TokenExchangeURL: base + exchangePath,
		TokenRevokeURL:   base + revokePath,
		HealthURL:        base + "/purchase_orders/health",
		EnvVarName:       "PO_API_KEY", SkillFile: "sc_purchase_orders.md", Enabled: true,
	}
}

// lines renders results as the report's lines.
func lines(results []probe.Result) []string {
	out := make([]string, len(results))
	for i, r := range results {
		out[i] = r.String()
	}
	return out
}

// line returns the report line of check.
func line(results []probe.Result, check string) string {
	GinkgoHelper()
	for _, r := range results {
		if r.Check == check {
			return r.String()
		}
	}
	Fail("no result for check " + check)
	return ""
}

// checks returns the names of the checks in report order.
func checks(results []probe.Result) string {
	names := make([]string, len(results))
	for i, r := range results {
		names[i] = r.Check
	}
	return strings.Join(names, ", ")
}

// peekBody reads r's body and puts it back for the next handler. It runs in the server's
// goroutine, so it records rather than asserts.
func peekBody(r *http.Request) string {
	data, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(data))
	return string(data)
}
