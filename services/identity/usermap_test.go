package identity_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/identity"
)

var _ = Describe("LoadUserMap", func() {
	var path string

	BeforeEach(func() {
		path = filepath.Join(GinkgoT().TempDir(), "users.json")
	})

	write := func(contents string) {
		GinkgoHelper()
		Expect(os.WriteFile(path, []byte(contents), 0o600)).To(Succeed())
	}

	It("reads email → user name pairs as written", func() {
		write("{\n  \"John.Smith@example.com\": \"jsmith\",\n  \"jane@example.com\": \"jdoe\"\n}\n")
		Expect(identity.LoadUserMap(path)).To(Equal(map[string]string{
			"John.Smith@example.com": "jsmith",
			"jane@example.com":       "jdoe",
		}))
	})

	It("reads an empty map", func() {
		write("{}")
		Expect(identity.LoadUserMap(path)).To(BeEmpty())
	})

	It("feeds NewMapper", func() {
		write(`{"John.Smith@example.com": "jsmith"}`)
		users, err := identity.LoadUserMap(path)
		Expect(err).NotTo(HaveOccurred())
		mapper, err := identity.NewMapper([]string{"example.com"}, users)
		Expect(err).NotTo(HaveOccurred())
		Expect(mapper.Username("john.smith@example.com")).To(Equal("jsmith"))
	})

	It("reports a file it cannot read", func() {
		_, err := identity.LoadUserMap(path)
		Expect(err).To(MatchError(os.ErrNotExist))
	})

	DescribeTable("refuses a file that is not a clean map, saying where",
		func(contents string, problems ...string) {
			write(contents)
			users, err := identity.LoadUserMap(path)
			Expect(users).To(BeNil())
			want := "load user map: "
			for i, p := range problems {
				if i > 0 {
					want += "\n"
				}
				want += path + ":" + p
			}
			Expect(err).To(MatchError(want))
		},
		Entry("an empty file", "", `1:1: syntax error: unexpected end of file`),
		Entry("a syntax error", "{\n  \"a@example.com\" \"a\"\n}", `2:19: syntax error: expected colon after object key`),
		Entry("a truncated file", `{"a@example.com": "a",`, `1:23: syntax error: unexpected end of file`),
		Entry("a list", `["a@example.com"]`, `1:1: must be a JSON object of email → user name, such as {"jane.doe@example.com": "jdoe"}`),
		Entry("data after the object", `{} {}`, `1:4: unexpected data after the object`),
		Entry("a user name that is not a string", `{"a@example.com": 7}`, `1:19: the user name for "a@example.com" must be a string`),
		Entry("a nested object", `{"a@example.com": {"name": "a"}}`, `1:19: the user name for "a@example.com" must be a string`),
		Entry("a key that is no address", `{"alice": "alice"}`, `1:2: "alice" is not a valid email address`),
		Entry("an invalid user name", `{"a@example.com": "Alice"}`, `1:19: "Alice" is not a valid server user name`),
		Entry("an address listed twice in different case",
			"{\n\"a@example.com\": \"alice\",\n\"A@Example.com\": \"bob\"\n}",
			`3:1: "A@Example.com" is already listed as "a@example.com"`),
		Entry("every problem at once",
			"{\n\"alice\": \"alice\",\n\"b@example.com\": \"B\",\n\"c@example.com\": null\n}",
			`2:1: "alice" is not a valid email address`,
			`3:18: "B" is not a valid server user name`,
			`4:18: the user name for "c@example.com" must be a string`),
	)
})
