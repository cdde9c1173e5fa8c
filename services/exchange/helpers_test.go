package exchange_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

const (
	// secret is the shared secret the portal holds for the service under test.
	secret = services.Secret("sc_shared_secret_7f3a9c")
	// leak marks every key-looking value a hostile service sends, so a spec can prove that
	// none of them reaches an error text.
	leak = "LEAK7"
	// leakyKey is a well-formed key carrying the leak mark.
	leakyKey = "pk_live_" + leak + "_abcdef"
	// email is the person the portal asks keys for.
	email = "john@your-domain.com"
	// shortTimeout keeps the specs that wait for a timeout fast.
	shortTimeout = 200 * time.Millisecond
	// longTimeout keeps the other specs from flaking on a busy machine.
	longTimeout = 5 * time.Second
)

// expectUnavailable asserts err is the EUnavailable error a person may read: it names the
// service and reason, and neither it nor its cause holds the secret, a key the service sent
// or the person's email.
func expectUnavailable(err error, reason string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred())
	var serr *services.Error
	Expect(errors.As(err, &serr)).To(BeTrue(), "want a *services.Error, got %T", err)
	Expect(serr.Code).To(Equal(services.EUnavailable))
	Expect(serr.Message).To(HavePrefix("Purchase Orders "))
	Expect(serr.Message).To(ContainSubstring(reason))
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		Expect(text).NotTo(ContainSubstring(secret.Reveal()))
		Expect(text).NotTo(ContainSubstring(leak))
		Expect(text).NotTo(ContainSubstring(email))
	}
}

// okAnswer is a valid token-exchange answer carrying leakyKey; overrides replace or, with a
// nil value, remove fields.
func okAnswer(overrides map[string]any) map[string]any {
	a := map[string]any{
		"status":     "ok",
		"api_key":    leakyKey,
		"token_id":   "tok_xyz789",
		"expires_at": "2027-11-22T12:00:00Z",
	}
	for k, v := range overrides {
		if v == nil {
			delete(a, k)
			continue
		}
		a[k] = v
	}
	return a
}

// paddedAnswer is a valid-looking answer padded with an extra field to exactly size bytes.
func paddedAnswer(size int) string {
	GinkgoHelper()
	head := `{"status":"ok","api_key":"` + leakyKey + `","token_id":"tok_xyz789","padding":"`
	tail := `"}`
	Expect(size).To(BeNumerically(">", len(head)+len(tail)))
	return head + strings.Repeat("a", size-len(head)-len(tail)) + tail
}

// stall answers nothing until the client gives up (or, as a safety net, for five seconds).
// It reads the request first so that the server notices when the client hangs up.
func stall(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// stallMidBody sends the status line and the start of a body, then stalls.
func stallMidBody(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"status":"ok","api_key":"`+leakyKey)
	w.(http.Flusher).Flush()
	stall(w, r)
}

// refusedURL returns an address on loopback where nothing listens.
func refusedURL(path string) string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	return "http://" + addr + path
}
