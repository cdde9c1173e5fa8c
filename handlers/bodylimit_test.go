package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// The limits LimitBody enforces: 4 KiB under /api/, 16 KiB elsewhere.
const (
	apiLimit  = 4 << 10
	formLimit = 16 << 10
)

// multipartSignIn is a multipart sign-in form whose email field comes first and whose second
// field is filler, size bytes in all, produced as it is read; read counts what was taken.
type multipartSignIn struct {
	head  io.Reader
	fill  int64
	tail  io.Reader
	read  int64
	ctype string
}

func newMultipartSignIn(size int64) *multipartSignIn {
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	Expect(w.WriteField("email", "alice@example.com")).To(Succeed())
	_, err := w.CreateFormFile("filler", "filler.bin")
	Expect(err).NotTo(HaveOccurred())
	tail := "\r\n--" + w.Boundary() + "--\r\n"
	return &multipartSignIn{
		head: bytes.NewReader(head.Bytes()), tail: strings.NewReader(tail),
		fill:  size - int64(head.Len()) - int64(len(tail)),
		ctype: w.FormDataContentType(),
	}
}

func (m *multipartSignIn) Read(p []byte) (int, error) {
	n, err := m.head.Read(p)
	if n == 0 && m.fill > 0 {
		n = int(min(int64(len(p)), m.fill))
		for i := range n {
			p[i] = 'x'
		}
		m.fill -= int64(n)
		err = nil
	} else if n == 0 {
		n, err = m.tail.Read(p)
	} else {
		err = nil
	}
	m.read += int64(n)
	return n, err
}

var _ = Describe("Request bodies", func() {
	var p *portal

	BeforeEach(func() {
		p = newPortal()
		p.connector.OverviewFunc = func(u services.User) []connector.ServiceState { return nil }
	})

	// oversized sends a body of size bytes to path, declaring its length or sending it chunked.
	oversized := func(method, path, contentType string, size int, chunked bool, headers map[string]string) response {
		GinkgoHelper()
		body := io.Reader(strings.NewReader(strings.Repeat("a", size)))
		if chunked {
			body = io.MultiReader(body) // hides the length, so the client sends it chunked
		}
		all := map[string]string{"Content-Type": contentType}
		for k, v := range headers {
			all[k] = v
		}
		return p.do(method, path, body, all)
	}

	DescribeTable("a body over the limit is refused with 413 before any handler runs, so nothing changes",
		func(method, path, contentType string, limit int, headers map[string]string, wantType string) {
			p.signIn("boss@example.com")
			calls := len(p.connector.calls)
			for _, chunked := range []bool{false, true} {
				r := oversized(method, path, contentType, limit+1, chunked, headers)

				Expect(r.status).To(Equal(http.StatusRequestEntityTooLarge), "chunked: %v", chunked)
				Expect(r.header.Get("Content-Type")).To(HavePrefix(wantType))
				Expect(r.body).To(ContainSubstring("too large"))
				Expect(r.header.Values("Set-Cookie")).To(BeEmpty(), "the session is left as it was")
			}
			Expect(p.connector.calls).To(HaveLen(calls), "no use case ran")
			Expect(p.connector.actions()).To(BeEmpty())
			Expect(p.get("/api/service-connectors").status).To(Equal(http.StatusOK), "still signed in")
			Expect(p.log.String()).To(ContainSubstring("request body too large"))
		},
		Entry("the dev sign-in form", http.MethodPost, "/auth/dev-login", "application/x-www-form-urlencoded", formLimit, nil, "text/html"),
		Entry("sign-out", http.MethodPost, "/logout", "application/x-www-form-urlencoded", formLimit, nil, "text/html"),
		Entry("the JSON API's connect", http.MethodPost, "/api/service-connectors/connect", "application/json", apiLimit, nil, "application/json"),
		Entry("the JSON API's disconnect", http.MethodPost, "/api/service-connectors/disconnect", "application/json", apiLimit, nil, "application/json"),
		Entry("a card's connect fragment", http.MethodPost, "/connectors/purchase_orders/connect", "application/x-www-form-urlencoded", formLimit, map[string]string{"HX-Request": "true"}, "text/html"),
		Entry("a card's disconnect form, without htmx", http.MethodPost, "/connectors/purchase_orders/disconnect", "application/x-www-form-urlencoded", formLimit, nil, "text/html"),
		Entry("the admin's disconnect form", http.MethodPost, "/admin/connections/disconnect", "application/x-www-form-urlencoded", formLimit, nil, "text/html"),
		Entry("the admin's offboard form", http.MethodPost, "/admin/offboard", "application/x-www-form-urlencoded", formLimit, nil, "text/html"),
		Entry("the admin's retry form", http.MethodPost, "/admin/revocations/retry", "multipart/form-data; boundary=x", formLimit, nil, "text/html"),
		Entry("the Google callback", http.MethodGet, "/auth/google/callback?state=x&code=y", "application/x-www-form-urlencoded", formLimit, nil, "text/html"),
	)

	It("answers an htmx request's 413 with a flash, and the API's with JSON", func() {
		p.signIn("alice@example.com")
		r := oversized(http.MethodPost, "/connectors/purchase_orders/connect", "application/x-www-form-urlencoded", formLimit+1, false, map[string]string{"HX-Request": "true"})
		Expect(r.doc().Find(`[data-testid="flash"]`).Text()).To(ContainSubstring("too large"))
		Expect(r.header.Get("HX-Reswap")).To(Equal("none"))

		r = oversized(http.MethodPost, "/api/service-connectors/connect", "application/json", apiLimit+1, false, nil)
		Expect(r.body).To(MatchJSON(`{"success": false, "message": "This request is too large, so it was refused and nothing was changed."}`))
	})

	It("takes a body of exactly the limit", func() {
		form := url.Values{"email": {"alice@example.com"}, "next": {"/"}}.Encode() + "&pad="
		r := p.do(http.MethodPost, "/auth/dev-login", strings.NewReader(form+strings.Repeat("a", formLimit-len(form))),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		Expect(r.status).To(Equal(http.StatusSeeOther))

		p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) { return connector.ServiceState{}, nil }
		body := `{"service_id": "purchase_orders"}`
		r = p.postJSON("/api/service-connectors/connect", body+strings.Repeat(" ", apiLimit-len(body)))
		Expect(r.status).To(Equal(http.StatusOK))
	})

	DescribeTable("a 64 MiB multipart sign-in is refused without being read into memory",
		func(declareLength bool) {
			body := newMultipartSignIn(64 << 20)
			req := httptest.NewRequest(http.MethodPost, "/auth/dev-login", body)
			req.Header.Set("Content-Type", body.ctype)
			req.ContentLength = -1
			if declareLength {
				req.ContentLength = 64 << 20
			}
			rec := httptest.NewRecorder()

			p.server.Config.Handler.ServeHTTP(rec, req)

			Expect(rec.Code).To(Equal(http.StatusRequestEntityTooLarge))
			Expect(rec.Header().Values("Set-Cookie")).To(BeEmpty(), "no one was signed in")
			Expect(body.read).To(BeNumerically("<=", formLimit+1), fmt.Sprintf("read %d bytes", body.read))
			if declareLength {
				Expect(body.read).To(BeZero(), "a declared length over the limit is refused unread")
			}
		},
		Entry("declaring its length", true),
		Entry("sent chunked, its length unknown", false),
	)
})
