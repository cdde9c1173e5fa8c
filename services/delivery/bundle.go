// Package delivery holds the bundle the portal hands to the root helper (a person's whole
// desired state: their keys and skills) and the code that writes it into a home directory.
// The root helper imports this package after dropping to the target user, so everything
// that touches a home treats its owner as hostile: nothing is followed, everything is
// checked before the first write, and a bundle is delivered whole or not at all.
package delivery

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/service-connector/service-connector/services"
)

// MaxBundleSize bounds the JSON a helper reads, so a runaway portal cannot exhaust it.
const MaxBundleSize = 1 << 20

// MaxSkillSize bounds one skill file; skills are short markdown, never data.
const MaxSkillSize = 256 << 10

// EnvEntry is one line of ~/.service_env: a service's key under its variable name.
type EnvEntry struct {
	Name      string          `json:"name"`
	Value     services.Secret `json:"value"`
	Service   string          `json:"service"`
	ExpiresAt time.Time       `json:"expires_at,omitzero"`
}

// Skill is one ~/.claude_rules/sc_*.md file.
type Skill struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// Bundle is everything a person should have delivered. It is the whole desired state, not
// a change: a skill missing from it is removed from the home.
type Bundle struct {
	Env    []EnvEntry `json:"env"`
	Skills []Skill    `json:"skills"`
}

// Validate checks every rule a home relies on. The error names the field and index at
// fault but never a value, since a value may be a key.
func (b Bundle) Validate() error {
	envNames := make(map[string]int, len(b.Env))
	for i, e := range b.Env {
		switch {
		case !services.ValidEnvName(e.Name):
			return invalidf("env[%d].name is not a valid variable name (A-Z, 0-9 and _, starting with a letter)", i)
		case reservedEnv(e.Name):
			// The name is valid, so it is safe to show; it is a name, never a key.
			reason, _ := services.ReservedEnvName(e.Name)
			return invalidf("env[%d].name %q is reserved: %s", i, e.Name, reason)
		case !services.ValidAPIKey(e.Value.Reveal()):
			return invalidf("env[%d].value is not a valid API key (8 to 4096 of A-Z a-z 0-9 . _ ~ + / = : -)", i)
		case !services.ValidServiceID(e.Service):
			return invalidf("env[%d].service is not a valid service id", i)
		}
		if first, dup := envNames[e.Name]; dup {
			return invalidf("env[%d].name repeats env[%d].name", i, first)
		}
		envNames[e.Name] = i
	}
	skillNames := make(map[string]int, len(b.Skills))
	for i, s := range b.Skills {
		switch {
		case !services.ValidSkillName(s.Name):
			return invalidf("skills[%d].name is not a valid skill file name (sc_ then a-z, 0-9 or _, then .md)", i)
		}
		if problem, _ := SkillContentProblem(s.Content); problem != "" {
			return invalidf("skills[%d].content %s", i, problem)
		}
		if first, dup := skillNames[s.Name]; dup {
			return invalidf("skills[%d].name repeats skills[%d].name", i, first)
		}
		skillNames[s.Name] = i
	}
	// The bundle goes to the root helper as JSON, which takes at most MaxBundleSize bytes;
	// refusing a bigger one here makes the demo's delivery refuse what production would.
	if data, err := json.Marshal(b); err != nil || len(data) > MaxBundleSize {
		return invalidf("the whole bundle is larger than %d KiB as JSON", MaxBundleSize>>10)
	}
	return nil
}

// SkillContentProblem says why content cannot be delivered as a skill file, in words that
// follow the file's name ("is larger than 256 KiB"), with the byte offset of the fault, or
// -1 when the fault is the file as a whole. It returns "" for content that can be delivered.
// Every bundle is checked with it, and so is every skill the registry accepts, so a skill
// the registry takes in can always be delivered.
func SkillContentProblem(content string) (problem string, offset int) {
	if len(content) > MaxSkillSize {
		return fmt.Sprintf("is larger than %d KiB", MaxSkillSize>>10), -1
	}
	for i, r := range content {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(content[i:], string(utf8.RuneError)):
			return "is not valid UTF-8", i
		case r == 0:
			// C string handling stops at a NUL, and the laptop's awk may drop what follows.
			return "contains a NUL byte", i
		}
	}
	return "", -1
}

func reservedEnv(name string) bool {
	_, reserved := services.ReservedEnvName(name)
	return reserved
}

func invalidf(format string, args ...any) error {
	return services.Errorf(services.EInvalid, "invalid delivery bundle: "+format, args...)
}
