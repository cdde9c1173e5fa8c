package app_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// countingFiller yields n bytes of filler and counts how many were taken.
type countingFiller struct {
	left  int64
	taken atomic.Int64
}

func (c *countingFiller) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), c.left))
	for i := range n {
		p[i] = 'x'
	}
	c.left -= int64(n)
	c.taken.Add(int64(n))
	return n, nil
}

var _ = Describe("service-connector demo's request bodies", func() {
	var (
		d     *demo
		alice *browser
		carol *browser
	)

	BeforeEach(func() {
		d = startDemo(nil)
		alice = d.newBrowser()
		alice.signIn("alice@example.com")
		Expect(alice.api("connect", "purchase_orders").status).To(Equal(http.StatusOK))
		carol = d.newBrowser()
		carol.signIn("carol@example.com")
	})

	DescribeTable("a body over the limit gets 413 on every route that reads one, and changes nothing",
		func(who func() *browser, method, path, contentType, body string) {
			before := d.recorded("alice@example.com")
			env, _, _ := d.home("alice", ".service_env")

			a := who().do(method, path, contentType, body)

			Expect(a.status).To(Equal(http.StatusRequestEntityTooLarge))
			Expect(a.header.Values("Set-Cookie")).To(BeEmpty())
			Expect(d.recorded("alice@example.com")).To(Equal(before))
			after, _, _ := d.home("alice", ".service_env")
			Expect(after).To(Equal(env))
			Expect(alice.do(http.MethodGet, "/api/service-connectors", "", "").status).To(Equal(http.StatusOK), "alice is still signed in")
		},
		Entry("the dev sign-in form", func() *browser { return d.newBrowser() }, http.MethodPost, "/auth/dev-login",
			"application/x-www-form-urlencoded", url.Values{"email": {"mallory@example.com"}, "pad": {strings.Repeat("a", 20<<10)}}.Encode()),
		Entry("sign-out", func() *browser { return alice }, http.MethodPost, "/logout",
			"application/x-www-form-urlencoded", "pad="+strings.Repeat("a", 20<<10)),
		Entry("the JSON API", func() *browser { return alice }, http.MethodPost, "/api/service-connectors/disconnect",
			"application/json", `{"service_id": "purchase_orders"}`+strings.Repeat(" ", 5<<10)),
		Entry("a card's fragment form", func() *browser { return alice }, http.MethodPost, "/connectors/purchase_orders/disconnect",
			"application/x-www-form-urlencoded", "pad="+strings.Repeat("a", 20<<10)),
		Entry("the admin's offboard form", func() *browser { return carol }, http.MethodPost, "/admin/offboard",
			"application/x-www-form-urlencoded", url.Values{"email": {"alice@example.com"}, "confirm": {"yes"}, "pad": {strings.Repeat("a", 20<<10)}}.Encode()),
		Entry("the admin's disconnect form", func() *browser { return carol }, http.MethodPost, "/admin/connections/disconnect",
			"application/x-www-form-urlencoded", url.Values{"email": {"alice@example.com"}, "service_id": {"purchase_orders"}, "pad": {strings.Repeat("a", 20<<10)}}.Encode()),
		Entry("the Google callback", func() *browser { return alice }, http.MethodGet, "/auth/google/callback?state=x&code=y",
			"application/x-www-form-urlencoded", "pad="+strings.Repeat("a", 20<<10)),
	)

	It("refuses a 64 MiB multipart sign-in after taking a sliver of it, and signs no one in", func() {
		var head bytes.Buffer
		form := multipart.NewWriter(&head)
		Expect(form.WriteField("email", "mallory@example.com")).To(Succeed())
		_, err := form.CreateFormFile("filler", "filler.bin")
		Expect(err).NotTo(HaveOccurred())
		filler := &countingFiller{left: 64 << 20}
		var before runtime.MemStats
		runtime.ReadMemStats(&before)

		mallory := d.newBrowser()
		a := mallory.doReader(http.MethodPost, "/auth/dev-login", form.FormDataContentType(), io.MultiReader(&head, filler, strings.NewReader("\r\n--"+form.Boundary()+"--\r\n")))

		Expect(a.header.Values("Set-Cookie")).To(BeEmpty(), "mallory is not signed in")
		Expect(a.status).To(Equal(http.StatusRequestEntityTooLarge))
		// The client stops sending once the answer comes; what it got out is the server's read
		// plus what the sockets buffer, far below the 64 MiB offered.
		Expect(filler.taken.Load()).To(BeNumerically("<", 16<<20), "bytes sent: %d", filler.taken.Load())
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		Expect(int64(after.TotalAlloc-before.TotalAlloc)).To(BeNumerically("<", 32<<20), "the body was not buffered")
	})
})
