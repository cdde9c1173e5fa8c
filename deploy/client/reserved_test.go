package client_test

import (
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

const (
	reservedStart = "# reserved-env-names:start"
	reservedEnd   = "# reserved-env-names:end"
)

// scriptReservedPatterns is the list of reserved variable names a laptop script keeps
// between its marker lines, one pattern per line.
func scriptReservedPatterns(script string) []string {
	GinkgoHelper()
	var patterns []string
	in, seenEnd := false, false
	for _, line := range strings.Split(readFile(script), "\n") {
		switch {
		case line == reservedStart:
			Expect(in || seenEnd).To(BeFalse(), "%s: a second %q", script, reservedStart)
			in = true
		case line == reservedEnd:
			Expect(in).To(BeTrue(), "%s: %q before %q", script, reservedEnd, reservedStart)
			in, seenEnd = false, true
		case in:
			patterns = append(patterns, line)
		}
	}
	Expect(seenEnd).To(BeTrue(), "%s has no reserved-env-names block", script)
	return patterns
}

// patternShape is an exact name, a PREFIX* or the one suffix form *_SUFFIX.
var patternShape = regexp.MustCompile(`^(\*_[A-Z0-9_]+|[A-Z_][A-Z0-9_]*\*?)$`)

var _ = Describe("The list of reserved variable names", func() {
	for _, script := range []string{"sync-service-env.sh", "sc-run"} {
		It("is the same in "+script+" as in services.ReservedEnvPatterns", func() {
			patterns := scriptReservedPatterns(script)
			for _, p := range patterns {
				Expect(p).To(MatchRegexp(patternShape.String()), "%s: pattern %q", script, p)
			}
			Expect(patterns).To(HaveLen(len(services.ReservedEnvPatterns)))
			Expect(patterns).To(ConsistOf(services.ReservedEnvPatterns))
		})
	}

	It("holds each pattern once, in the shapes the scripts and the portal match", func() {
		seen := map[string]bool{}
		for _, p := range services.ReservedEnvPatterns {
			Expect(p).To(MatchRegexp(patternShape.String()))
			Expect(seen).NotTo(HaveKey(p))
			seen[p] = true
		}
		Expect(seen).To(HaveKey("BASH_ENV"))
		Expect(seen).To(HaveKey("LD_*"))
		Expect(seen).To(HaveKey("*_PROXY"))
	})
})
