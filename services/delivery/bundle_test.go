package delivery_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
)

// endless is a reader that never runs out and counts what was taken from it.
type endless struct{ read int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	e.read += len(p)
	return len(p), nil
}

var _ = Describe("Bundle", func() {
	var bundle delivery.Bundle

	BeforeEach(func() {
		bundle = validBundle()
	})

	encode := func(b delivery.Bundle) []byte {
		GinkgoHelper()
		data, err := json.Marshal(b)
		Expect(err).NotTo(HaveOccurred())
		return data
	}

	DescribeTable("refuses a bundle that breaks a rule, naming the field but never the value",
		func(mutate func(*delivery.Bundle), field, value string) {
			mutate(&bundle)

			err := bundle.Validate()
			expectSafeError(err, services.EInvalid, value)
			Expect(services.ErrorMessage(err)).To(ContainSubstring(field))

			_, err = delivery.DecodeBundle(bytes.NewReader(encode(bundle)))
			expectSafeError(err, services.EInvalid, value)
			Expect(services.ErrorMessage(err)).To(ContainSubstring(field))
		},
		Entry("a lowercase env name", func(b *delivery.Bundle) { b.Env[0].Name = "po_api_key" }, "env[0].name", "po_api_key"),
		Entry("an env name with a leading digit", func(b *delivery.Bundle) { b.Env[1].Name = "1PO_KEY" }, "env[1].name", "1PO_KEY"),
		Entry("an env name with =", func(b *delivery.Bundle) { b.Env[0].Name = "PO=KEY" }, "env[0].name", "PO=KEY"),
		Entry("an env name with a space", func(b *delivery.Bundle) { b.Env[0].Name = "PO KEY" }, "env[0].name", "PO KEY"),
		Entry("an env name with a newline", func(b *delivery.Bundle) { b.Env[0].Name = "PO_KEY\nEVIL" }, "env[0].name", "PO_KEY\nEVIL"),
		Entry("an empty env name", func(b *delivery.Bundle) { b.Env[0].Name = "" }, "env[0].name", ""),
		Entry("a value with a newline", func(b *delivery.Bundle) { b.Env[0].Value = "pk_live_ab\nEVIL=1" }, "env[0].value", "pk_live_ab\nEVIL=1"),
		Entry("a value with a quote", func(b *delivery.Bundle) { b.Env[0].Value = `pk_live_ab"cd` }, "env[0].value", `pk_live_ab"cd`),
		Entry("a value with $", func(b *delivery.Bundle) { b.Env[0].Value = "pk_live_$HOME" }, "env[0].value", "pk_live_$HOME"),
		Entry("a value with a backtick", func(b *delivery.Bundle) { b.Env[0].Value = "pk_live_`id`" }, "env[0].value", "pk_live_`id`"),
		Entry("a value with NUL", func(b *delivery.Bundle) { b.Env[0].Value = "pk_live_ab\x00cd" }, "env[0].value", "pk_live_ab\x00cd"),
		Entry("a value with a space", func(b *delivery.Bundle) { b.Env[1].Value = "pk_live_ab cd" }, "env[1].value", "pk_live_ab cd"),
		Entry("a value that is too short", func(b *delivery.Bundle) { b.Env[0].Value = "pk_1234" }, "env[0].value", "pk_1234"),
		Entry("a value that is too long", func(b *delivery.Bundle) { b.Env[0].Value = services.Secret(strings.Repeat("k", 4097)) }, "env[0].value", strings.Repeat("k", 4097)),
		Entry("an uppercase service id", func(b *delivery.Bundle) { b.Env[0].Service = "Purchase_Orders" }, "env[0].service", "Purchase_Orders"),
		Entry("a service id with a dash", func(b *delivery.Bundle) { b.Env[0].Service = "purchase-orders" }, "env[0].service", "purchase-orders"),
		Entry("a service id with a newline", func(b *delivery.Bundle) { b.Env[0].Service = "po\nPO_API_KEY=x" }, "env[0].service", "po\nPO_API_KEY=x"),
		Entry("an empty service id", func(b *delivery.Bundle) { b.Env[1].Service = "" }, "env[1].service", ""),
		Entry("a skill name that climbs out", func(b *delivery.Bundle) { b.Skills[0].Name = "../sc_x.md" }, "skills[0].name", "../sc_x.md"),
		Entry("a skill name with a trailing slash", func(b *delivery.Bundle) { b.Skills[0].Name = "sc_x.md/" }, "skills[0].name", "sc_x.md/"),
		Entry("a skill name without the sc_ prefix", func(b *delivery.Bundle) { b.Skills[1].Name = "x.md" }, "skills[1].name", "x.md"),
		Entry("a skill name with uppercase", func(b *delivery.Bundle) { b.Skills[0].Name = "sc_X.md" }, "skills[0].name", "sc_X.md"),
		Entry("a skill name with nothing after sc_", func(b *delivery.Bundle) { b.Skills[0].Name = "sc_.md" }, "skills[0].name", "sc_.md"),
		Entry("skill content with NUL", func(b *delivery.Bundle) { b.Skills[0].Content = "# PO\x00" }, "skills[0].content", "# PO\x00"),
		Entry("skill content over 256 KiB", func(b *delivery.Bundle) { b.Skills[1].Content = strings.Repeat("a", delivery.MaxSkillSize+1) }, "skills[1].content", ""),
		Entry("a repeated env name", func(b *delivery.Bundle) { b.Env[1].Name = "PO_API_KEY" }, "env[1].name", ""),
		Entry("a repeated skill name", func(b *delivery.Bundle) { b.Skills[1].Name = "sc_purchase_orders.md" }, "skills[1].name", ""),
	)

	DescribeTable("refuses an env name that changes how programs run, saying why",
		func(name, why string) {
			bundle.Env[1].Name = name

			err := bundle.Validate()
			expectSafeError(err, services.EInvalid, bundle.Env[1].Value.Reveal())
			Expect(services.ErrorMessage(err)).To(Equal(`invalid delivery bundle: env[1].name "` + name + `" is reserved: ` + why))

			_, err = delivery.DecodeBundle(bytes.NewReader(encode(bundle)))
			Expect(services.ErrorMessage(err)).To(ContainSubstring(`env[1].name "` + name + `" is reserved`))
		},
		Entry("BASH_ENV", "BASH_ENV", "bash runs the file it names before every script"),
		Entry("PATH", "PATH", "it decides which program a command runs"),
		Entry("LD_PRELOAD", "LD_PRELOAD", "like every name matching LD_*, it changes which libraries programs load"),
		Entry("PYTHONSTARTUP", "PYTHONSTARTUP", "like every name matching PYTHON*, it changes how Python starts and which code it loads"),
		Entry("NODE_OPTIONS", "NODE_OPTIONS", "it adds options, such as code to preload, to every Node.js program"),
		Entry("HTTPS_PROXY", "HTTPS_PROXY", "like every name matching *_PROXY, it sends programs' connections through another host"),
		Entry("SSL_CERT_FILE", "SSL_CERT_FILE", "it changes which certificate authorities programs trust"),
		Entry("GIT_ASKPASS", "GIT_ASKPASS", "like every name matching GIT_*, it changes how git runs, which commands it starts and where it connects"),
		Entry("LANG", "LANG", "it changes how programs read and print text"),
	)

	It("refuses a bundle the root helper would not read, larger than MaxBundleSize as JSON", func() {
		bundle.Skills = nil
		for _, name := range []string{"sc_a.md", "sc_b.md", "sc_c.md", "sc_d.md", "sc_e.md"} {
			bundle.Skills = append(bundle.Skills, delivery.Skill{Name: name, Content: strings.Repeat("x", delivery.MaxSkillSize)})
		}
		Expect(len(encode(bundle))).To(BeNumerically(">", delivery.MaxBundleSize))

		err := bundle.Validate()

		expectSafeError(err, services.EInvalid)
		Expect(services.ErrorMessage(err)).To(Equal("invalid delivery bundle: the whole bundle is larger than 1024 KiB as JSON"))
		bundle.Skills = bundle.Skills[:3]
		Expect(bundle.Validate()).To(Succeed(), "three of them fit")
	})

	DescribeTable("SkillContentProblem says what in a skill cannot be delivered, and where",
		func(content, problem string, offset int) {
			gotProblem, gotOffset := delivery.SkillContentProblem(content)
			Expect(gotProblem).To(Equal(problem))
			Expect(gotOffset).To(Equal(offset))
		},
		Entry("plain markdown", "# PO\n\n```sh\ncurl \"$PO_API_KEY\"\n```\n", "", -1),
		Entry("exactly 256 KiB", strings.Repeat("a", delivery.MaxSkillSize), "", -1),
		Entry("a replacement character that is really there", "# caf\uFFFD\n", "", -1),
		Entry("CRLF line ends and tabs", "# PO\r\n\tx\r\n", "", -1),
		Entry("a NUL byte", "# PO\nab\x00cd\n", "contains a NUL byte", 7),
		Entry("a NUL byte at the start", "\x00# PO\n", "contains a NUL byte", 0),
		Entry("a byte that is not UTF-8", "# caf\xe9\n", "is not valid UTF-8", 5),
		Entry("a truncated UTF-8 sequence at the end", "# PO \xe2\x82", "is not valid UTF-8", 5),
		Entry("one byte over 256 KiB", strings.Repeat("a", delivery.MaxSkillSize+1), "is larger than 256 KiB", -1),
	)

	It("refuses skill content that is not UTF-8", func() {
		bundle.Skills[0].Content = "# PO \xff\xfe"

		err := bundle.Validate()

		expectSafeError(err, services.EInvalid)
		Expect(services.ErrorMessage(err)).To(ContainSubstring("skills[0].content"))
	})

	DescribeTable("accepts a bundle at the edges of the rules",
		func(mutate func(*delivery.Bundle)) {
			mutate(&bundle)

			Expect(bundle.Validate()).To(Succeed())
			decoded, err := delivery.DecodeBundle(bytes.NewReader(encode(bundle)))
			Expect(err).NotTo(HaveOccurred())
			Expect(decoded).To(Equal(bundle))
		},
		Entry("as it is", func(*delivery.Bundle) {}),
		Entry("with = in a key, as base64 padding has", func(b *delivery.Bundle) { b.Env[0].Value = "cGtfbGl2ZQ==" }),
		Entry("with every punctuation mark of the key charset", func(b *delivery.Bundle) { b.Env[0].Value = "a.b_c~d+e/f=g:h-i" }),
		Entry("with a key of 8 characters", func(b *delivery.Bundle) { b.Env[0].Value = "pk_12345" }),
		Entry("with a key of 4096 characters", func(b *delivery.Bundle) { b.Env[0].Value = services.Secret(strings.Repeat("k", 4096)) }),
		Entry("with a skill of exactly 256 KiB", func(b *delivery.Bundle) { b.Skills[0].Content = strings.Repeat("a", delivery.MaxSkillSize) }),
		Entry("with two keys for one service", func(b *delivery.Bundle) { b.Env[1].Service = "purchase_orders" }),
		Entry("with nothing in it", func(b *delivery.Bundle) { *b = delivery.Bundle{Env: []delivery.EnvEntry{}, Skills: []delivery.Skill{}} }),
	)

	Describe("DecodeBundle", func() {
		const secret = "pk_live_SECRET99"

		DescribeTable("refuses input that is not exactly one bundle, without quoting it",
			func(input string) {
				_, err := delivery.DecodeBundle(strings.NewReader(input))

				expectSafeError(err, services.EInvalid, secret, "12345678901")
			},
			Entry("an unknown top-level field", `{"env":[],"skills":[],"pk_live_SECRET99":1}`),
			Entry("an unknown field in an env entry",
				`{"env":[{"name":"PO_API_KEY","value":"pk_live_abc123","service":"po","token":"pk_live_SECRET99"}]}`),
			Entry("an unknown field in a skill", `{"skills":[{"name":"sc_po.md","content":"","mode":"0777"}]}`),
			Entry("a second object after the first", `{"env":[]} {"env":[]}`),
			Entry("trailing garbage", `{"env":[]}pk_live_SECRET99`),
			Entry("a stray closing brace", `{"env":[]}}`),
			Entry("an unquoted value", `{"env":[{"name":"PO_API_KEY","value":pk_live_SECRET99}]}`),
			Entry("a number where a key belongs", `{"env":[{"name":"PO_API_KEY","value":12345678901}]}`),
			Entry("an unparseable expiry", `{"env":[{"name":"PO_API_KEY","value":"pk_live_abc123","service":"po","expires_at":"pk_live_SECRET99"}]}`),
			Entry("an array instead of an object", `[]`),
			Entry("a truncated object", `{"env":[{"name":"PO_API_KEY","value":"pk_live_SECRET99"`),
			Entry("empty input", ``),
			Entry("bytes that are not UTF-8", "{\"skills\":[{\"name\":\"sc_po.md\",\"content\":\"\xff\xfe\"}]}"),
			Entry("input over MaxBundleSize", `{"env":[]}`+strings.Repeat(" ", delivery.MaxBundleSize)),
		)

		It("accepts input of exactly MaxBundleSize bytes", func() {
			input := `{"env":[],"skills":[]}`
			input += strings.Repeat(" ", delivery.MaxBundleSize-len(input))

			b, err := delivery.DecodeBundle(strings.NewReader(input))

			Expect(err).NotTo(HaveOccurred())
			Expect(b.Env).To(BeEmpty())
		})

		It("stops reading just past MaxBundleSize", func() {
			r := &endless{}

			_, err := delivery.DecodeBundle(r)

			expectSafeError(err, services.EInvalid)
			Expect(r.read).To(BeNumerically("<=", delivery.MaxBundleSize+1))
		})

		It("reads the expiry as a time and leaves a missing one zero", func() {
			input := `{"env":[` +
				`{"name":"PO_API_KEY","value":"pk_live_abc123","service":"purchase_orders","expires_at":"2027-11-22T13:00:00+01:00"},` +
				`{"name":"INV_API_KEY","value":"inv_key_9876543","service":"invoicing"}],"skills":[]}`

			b, err := delivery.DecodeBundle(strings.NewReader(input))

			Expect(err).NotTo(HaveOccurred())
			Expect(b.Env[0].ExpiresAt.Equal(time.Date(2027, 11, 22, 12, 0, 0, 0, time.UTC))).To(BeTrue())
			Expect(b.Env[0].Value.Reveal()).To(Equal(poKey))
			Expect(b.Env[1].ExpiresAt.IsZero()).To(BeTrue())
		})
	})
})
