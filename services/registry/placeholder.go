package registry

import (
	"fmt"
	"regexp"
	"strings"
)

// APIBaseURLPlaceholder is what a skill writes where its service's API base URL belongs; the
// registry fills in the service's api_base_url, so the delivered skill calls the real address.
// Two at signs on each side collide with nothing skills use: not shell ($x, ${x}, $@,
// ${x[@]}), not Python (f-strings, str.format and decorators), not markdown, not JSON, and
// not Jinja, Go or GitHub templates ({{x}}, ${{x}}), which skills may well show.
const APIBaseURLPlaceholder = "@@API_BASE_URL@@"

var (
	// placeholderRE finds everything shaped like a placeholder, so a misspelt one is an error
	// rather than text the agent would call. SQL's @@VERSION has no closing @@ and a diff's
	// "@@ -1,2 +1,2 @@" has spaces, so neither matches.
	placeholderRE = regexp.MustCompile(`@@[A-Za-z0-9_]+@@`)
	// baseURLChars are the characters an API base URL may hold: it is pasted into shell and
	// Python code, inside double quotes, so nothing there may mean anything.
	baseURLChars = regexp.MustCompile(`^[A-Za-z0-9._~:/\[\]-]+$`)
)

// baseURLProblem says what is wrong with an api_base_url, or returns "".
func baseURLProblem(raw string) string {
	if problem := urlProblem(raw); problem != "" {
		return problem
	}
	switch {
	case !baseURLChars.MatchString(raw):
		return fmt.Sprintf("%q may hold only letters, digits and . _ ~ : / - [ ] (no query): skills paste it into shell and Python code", raw)
	case strings.HasSuffix(raw, "/"):
		return fmt.Sprintf("%q must not end with /: skills add paths such as /api/whoami to it", raw)
	}
	return ""
}

// fillSkill returns a skill's contents as delivered for a service whose api_base_url is
// baseURL (empty when it has none), and the problems of its placeholders, at their offsets:
// an unknown one, or @@API_BASE_URL@@ for a service without a base URL (reported once).
func fillSkill(contents, baseURL, who string) (string, []finding) {
	var found []finding
	missingReported := false
	for _, m := range placeholderRE.FindAllStringIndex(contents, -1) {
		switch token := contents[m[0]:m[1]]; {
		case token != APIBaseURLPlaceholder:
			found = append(found, finding{offset: m[0], message: fmt.Sprintf(
				"unknown placeholder %q; the one placeholder is %s", token, APIBaseURLPlaceholder)})
		case baseURL == "" && !missingReported:
			missingReported = true
			found = append(found, finding{offset: m[0], message: fmt.Sprintf(
				"uses %s, but %s has no api_base_url in the registry", APIBaseURLPlaceholder, who)})
		}
	}
	if len(found) > 0 {
		return contents, found
	}
	return strings.ReplaceAll(contents, APIBaseURLPlaceholder, baseURL), nil
}
