package identity_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/identity"
)

var _ = Describe("Mapper", func() {
	var (
		domains []string
		users   map[string]string
		mapper  *identity.Mapper
	)

	BeforeEach(func() {
		domains = []string{" Example.COM ", "example.org"}
		users = map[string]string{
			"John.Smith@Example.com": "jsmith",
			"jane@example.com":       "jdoe",
			"contractor@partner.net": "ext_bob",
		}
	})

	JustBeforeEach(func() {
		var err error
		mapper, err = identity.NewMapper(domains, users)
		Expect(err).NotTo(HaveOccurred())
	})

	Describe("Username", func() {
		DescribeTable("maps an address to a server user name",
			func(email, want string) {
				Expect(mapper.Username(email)).To(Equal(want))
			},
			Entry("the local part in an allowed domain", "alice@example.com", "alice"),
			Entry("mixed case, lower-cased", "Alice@EXAMPLE.com", "alice"),
			Entry("surrounding space, trimmed", "  alice@example.org \n", "alice"),
			Entry("a user map entry, whatever the case", "JOHN.SMITH@example.COM", "jsmith"),
			Entry("a user map entry before the local part", "jane@example.com", "jdoe"),
			Entry("a user map entry outside the allowed domains", "contractor@partner.net", "ext_bob"),
			Entry("an underscore and a dash", "_build-bot@example.com", "_build-bot"),
			Entry("32 characters, the longest Linux allows", strings.Repeat("a", 32)+"@example.com", strings.Repeat("a", 32)),
		)

		// unmappable is what a person whose email cannot become an account name reads: who to
		// ask, and what to tell them, in plain words.
		unmappable := func(email, local string) string {
			return email + ` has no account on the analyst server yet: "` + local + `" cannot be an account name there. ` +
				"Ask the platform team, who run this portal, to link your email to your account: tell them your email and the user name you use on the analyst server."
		}

		DescribeTable("refuses an address it cannot map, saying why",
			func(email, msg string) {
				username, err := mapper.Username(email)
				expectInvalid(err, msg)
				Expect(username).To(BeEmpty())
			},
			Entry("a dot in the local part", "mary.jones@example.com", unmappable("mary.jones@example.com", "mary.jones")),
			Entry("a plus in the local part", "bob+ads@example.com", unmappable("bob+ads@example.com", "bob+ads")),
			Entry("33 characters", strings.Repeat("b", 33)+"@example.com",
				unmappable(strings.Repeat("b", 33)+"@example.com", strings.Repeat("b", 33))),
			Entry("a leading digit", "1alice@example.com", unmappable("1alice@example.com", "1alice")),
			Entry("a leading dash", "-alice@example.com", unmappable("-alice@example.com", "-alice")),
			Entry("a foreign domain", "alice@evil.test",
				`alice@evil.test is not in a domain allowed to use this portal`),
			Entry("a subdomain of an allowed domain", "alice@mail.example.com",
				`alice@mail.example.com is not in a domain allowed to use this portal`),
			Entry("no @", "alice", `"alice" is not a valid email address`),
			Entry("two @", "alice@evil.test@example.com", `"alice@evil.test@example.com" is not a valid email address`),
			Entry("an empty address", "", `an email address is required`),
			Entry("only space", " \t", `an email address is required`),
			Entry("a display name", "A <alice@example.com>", `"A <alice@example.com>" is not a valid email address`),
			Entry("a Kelvin sign, which would lower-case to another person's k", "\u212Aate@example.com", "\"\u212Aate@example.com\" is not a valid email address"),
		)
	})

	Describe("Allowed", func() {
		DescribeTable("checks the domain only",
			func(email string, want bool) {
				Expect(mapper.Allowed(email)).To(Equal(want))
			},
			Entry("an allowed domain", "alice@example.org", true),
			Entry("an allowed domain in upper case", "ALICE@EXAMPLE.COM", true),
			Entry("a local part that is no user name", "mary.jones@example.com", true),
			Entry("a foreign domain", "alice@evil.test", false),
			Entry("a mapped address in a foreign domain", "contractor@partner.net", false),
			Entry("a domain that merely ends like an allowed one", "alice@badexample.com", false),
			Entry("an address that is not valid", "alice@example.com>", false),
		)
	})

	When("no domain is configured, as in the demo", func() {
		BeforeEach(func() {
			domains = nil
		})

		It("accepts any domain", func() {
			Expect(mapper.Allowed("alice@anywhere.test")).To(BeTrue())
			Expect(mapper.Username("alice@anywhere.test")).To(Equal("alice"))
		})

		It("still refuses what is not an address", func() {
			Expect(mapper.Allowed("alice")).To(BeFalse())
		})
	})

	When("the user map lists an address twice with the same user name", func() {
		BeforeEach(func() {
			users = map[string]string{"Jane@example.com": "jdoe", "jane@EXAMPLE.com": "jdoe"}
		})

		It("maps it", func() {
			Expect(mapper.Username("jane@example.com")).To(Equal("jdoe"))
		})
	})
})

var _ = Describe("NewMapper", func() {
	DescribeTable("refuses a configuration that could not work",
		func(domains []string, users map[string]string, msg string) {
			mapper, err := identity.NewMapper(domains, users)
			Expect(err).To(MatchError(msg))
			Expect(mapper).To(BeNil())
		},
		Entry("a domain with an @", []string{"@example.com"}, nil,
			`new identity mapper: allowed domain "@example.com" is not a domain name`),
		Entry("an empty domain", []string{"example.com", ""}, nil,
			`new identity mapper: allowed domain "" is not a domain name`),
		Entry("a domain with an empty label", []string{"example..com"}, nil,
			`new identity mapper: allowed domain "example..com" is not a domain name`),
		Entry("a domain with a space", []string{"exa mple.com"}, nil,
			`new identity mapper: allowed domain "exa mple.com" is not a domain name`),
		Entry("a mapped user name in upper case", nil, map[string]string{"a@example.com": "Alice"},
			`new identity mapper: user map entry a@example.com: "Alice" is not a valid server user name`),
		Entry("a mapped user name with a leading digit", nil, map[string]string{"a@example.com": "1a"},
			`new identity mapper: user map entry a@example.com: "1a" is not a valid server user name`),
		Entry("a mapped root path", nil, map[string]string{"a@example.com": "../root"},
			`new identity mapper: user map entry a@example.com: "../root" is not a valid server user name`),
		Entry("a map key that is no address", nil, map[string]string{"alice": "alice"},
			`new identity mapper: user map key "alice" is not a valid email address`),
		Entry("an address mapped to two users", nil, map[string]string{"A@example.com": "alice", "a@example.com": "bob"},
			`new identity mapper: user map lists a@example.com twice, as "alice" and "bob"`),
	)
})

var _ = Describe("NormalizeEmail", func() {
	DescribeTable("accepts a bare address and normalizes it",
		func(email, want string) {
			Expect(identity.NormalizeEmail(email)).To(Equal(want))
		},
		Entry("lower case as is", "jane@example.com", "jane@example.com"),
		Entry("mixed case", "Jane.Doe@Example.COM", "jane.doe@example.com"),
		Entry("surrounding space", "\t jane@example.com \r\n", "jane@example.com"),
		Entry("a plus tag", "jane+po@example.com", "jane+po@example.com"),
		Entry("a single-label domain", "jane@localhost", "jane@localhost"),
	)

	DescribeTable("refuses anything but a bare address",
		func(email, msg string) {
			normalized, err := identity.NormalizeEmail(email)
			expectInvalid(err, msg)
			Expect(normalized).To(BeEmpty())
		},
		Entry("empty", "", `an email address is required`),
		Entry("no @", "jane.example.com", `"jane.example.com" is not a valid email address`),
		Entry("two @", "jane@doe@example.com", `"jane@doe@example.com" is not a valid email address`),
		Entry("no local part", "@example.com", `"@example.com" is not a valid email address`),
		Entry("no domain", "jane@", `"jane@" is not a valid email address`),
		Entry("a display name", "Jane <jane@example.com>", `"Jane <jane@example.com>" is not a valid email address`),
		Entry("angle brackets", "<jane@example.com>", `"<jane@example.com>" is not a valid email address`),
		Entry("a comment", "jane@example.com (Jane)", `"jane@example.com (Jane)" is not a valid email address`),
		Entry("a quoted local part", `"jane"@example.com`, `"\"jane\"@example.com" is not a valid email address`),
		Entry("a space inside", "ja ne@example.com", `"ja ne@example.com" is not a valid email address`),
		Entry("two dots in a row", "jane..doe@example.com", `"jane..doe@example.com" is not a valid email address`),
		Entry("a trailing dot in the domain", "jane@example.com.", `"jane@example.com." is not a valid email address`),
		Entry("an address literal", "jane@[127.0.0.1]", `"jane@[127.0.0.1]" is not a valid email address`),
		Entry("an underscore in the domain", "jane@exa_mple.com", `"jane@exa_mple.com" is not a valid email address`),
		Entry("a line break inside", "jane@example.com\nBcc: x@evil.test", `"jane@example.com\nBcc: x@evil.test" is not a valid email address`),
		Entry("too long", strings.Repeat("a", 243)+"@example.com", `the email address is longer than 254 characters`),
		// Unicode case folding would make these another person's address: the Kelvin sign
		// lower-cases to k, the Turkish dotted capital I to i.
		Entry("a Kelvin sign that lower-cases to k", "\u212Aate@example.com", "\"\u212Aate@example.com\" is not a valid email address"),
		Entry("a dotted capital I that lower-cases to i", "AL\u0130CE@example.com", "\"AL\u0130CE@example.com\" is not a valid email address"),
		Entry("a Cyrillic a that looks like a", "\u0430lice@example.com", "\"\u0430lice@example.com\" is not a valid email address"),
		Entry("a letter outside ASCII", "jos\u00e9@example.com", "\"jos\u00e9@example.com\" is not a valid email address"),
	)
})
