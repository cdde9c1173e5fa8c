package registry

import (
	"cmp"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
)

// The patterns the services package enforces, spelled out for admins in problem messages.
const (
	serviceIDPattern = `^[a-z][a-z0-9_]*$`
	envNamePattern   = `^[A-Z][A-Z0-9_]*$`
	skillNamePattern = `^sc_[a-z0-9_]+\.md$`
)

// TTL bounds in days: at least a day, at most ten years.
const (
	minTTLDays = 1
	maxTTLDays = 3650
)

// The fields of the document and of each entry; anything else is a typo worth reporting.
var (
	topLevelFields = []string{"services"}
	entryFields    = []string{
		"id", "name", "description", "token_exchange_url", "token_revoke_url", "health_url",
		"api_base_url", "env_var_name", "skill_file", "enabled", "ttl_days",
	}
	// requiredEntryFields is also the order in which missing fields are reported.
	requiredEntryFields = []string{
		"id", "name", "description", "token_exchange_url", "token_revoke_url",
		"env_var_name", "skill_file",
	}
)

// finding is a problem before its offset is turned into a line and column.
type finding struct {
	offset  int
	message string
}

// checker validates a parsed registry document and collects every problem it finds.
type checker struct {
	skills     fs.FS
	findings   []finding
	idOwner    map[string]int // service id → index of the entry that first used it
	envOwner   map[string]int // env var name → index of the entry that first used it
	skillFiles map[string]skillFile
	filled     map[string]filledSkill // skill file name → its contents as delivered
	opts       options
	listOffset int // where the list of services starts
	// skillProblems are lint problems located in skill files, in the order entries name them.
	skillProblems []Problem
}

// filledSkill is a skill file as delivered, and the first entry that delivers it.
type filledSkill struct {
	contents string
	owner    int
}

// skillFile is what reading a skill file gave: its contents or what is wrong with it.
type skillFile struct {
	contents string
	problem  string
}

func newChecker(skills fs.FS, opts options) *checker {
	return &checker{
		opts:       opts,
		skills:     skills,
		idOwner:    map[string]int{},
		envOwner:   map[string]int{},
		skillFiles: map[string]skillFile{},
		filled:     map[string]filledSkill{},
	}
}

func (c *checker) addf(offset int, format string, args ...any) {
	c.findings = append(c.findings, finding{offset: offset, message: fmt.Sprintf(format, args...)})
}

// sorted returns the findings in file order; findings at the same place keep the order in
// which they were found, so missing fields are listed in a stable order.
func (c *checker) sorted() []finding {
	out := slices.Clone(c.findings)
	slices.SortStableFunc(out, func(a, b finding) int { return cmp.Compare(a.offset, b.offset) })
	return out
}

// document checks the top level, a bare list of services (as the platform's plan writes the
// registry) or an object holding that list under "services", and returns the services. Both
// forms name an entry the same way, services[i], so their problems read the same.
func (c *checker) document(root *node) []services.Service {
	list := root
	switch root.kind {
	case kindArray:
	case kindObject:
		fields := c.fields(root, "top level", topLevelFields)
		var ok bool
		if list, ok = fields["services"]; !ok {
			c.addf(root.offset, "services: required field is missing")
			return nil
		}
		if list.kind != kindArray {
			c.addf(list.offset, "services: must be an array, not %s", list.kind.phrase())
			return nil
		}
	default:
		c.addf(root.offset, `top level: must be a list of services [...] or an object such as {"services": [...]}, not %s`, root.kind.phrase())
		return nil
	}
	c.listOffset = list.offset
	out := make([]services.Service, 0, len(list.elems))
	for i, entry := range list.elems {
		out = append(out, c.entry(i, entry))
	}
	return out
}

// worstBundle checks that a person connected to every service, each with the longest key the
// protocol allows, can be delivered to: the root helper reads a bounded bundle.
func (c *checker) worstBundle(list []services.Service, skills map[string]string) {
	longest := strings.Repeat("k", services.MaxAPIKeyLength)
	// The longest expiry RFC 3339 allows: nanoseconds and an offset.
	expiry := time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -(23*3600+59*60)))
	b := delivery.Bundle{Env: []delivery.EnvEntry{}, Skills: []delivery.Skill{}}
	for _, svc := range list {
		b.Env = append(b.Env, delivery.EnvEntry{Name: svc.EnvVarName, Value: services.Secret(longest), Service: svc.ID, ExpiresAt: expiry})
	}
	for name, contents := range skills {
		b.Skills = append(b.Skills, delivery.Skill{Name: name, Content: contents})
	}
	if err := b.Validate(); err != nil {
		c.addf(c.listOffset, "services: a person connected to every service could not be delivered to: %s", services.ErrorMessage(err))
	}
}

// fields indexes an object's members by key, reporting unknown and repeated keys (which
// encoding/json would silently resolve to the last one).
func (c *checker) fields(obj *node, path string, known []string) map[string]*node {
	out := map[string]*node{}
	for _, m := range obj.members {
		switch _, seen := out[m.key]; {
		case !slices.Contains(known, m.key):
			c.addf(m.offset, "%s: unknown field %q", path, m.key)
		case seen:
			c.addf(m.offset, "%s: duplicate field %q", path, m.key)
		default:
			out[m.key] = m.value
		}
	}
	return out
}

// entry checks one service entry; the result is only used when no problem was found.
func (c *checker) entry(i int, n *node) services.Service {
	e := entryChecker{c: c, i: i, path: fmt.Sprintf("services[%d]", i)}
	svc := services.Service{Enabled: true}
	if n.kind != kindObject {
		c.addf(n.offset, "%s: must be an object, not %s", e.path, n.kind.phrase())
		return svc
	}
	e.fields = c.fields(n, e.path, entryFields)
	for _, name := range requiredEntryFields {
		if _, ok := e.fields[name]; !ok {
			c.addf(n.offset, "%s.%s: required field is missing", e.path, name)
		}
	}
	e.describe(&svc)
	e.endpoints(&svc)
	e.delivered(&svc)
	e.switches(&svc)
	return svc
}

// entryChecker checks the fields of one service entry, services[i] at path.
type entryChecker struct {
	c      *checker
	i      int
	path   string
	fields map[string]*node
}

// str returns the string field name, reporting one that is not a string; ok is false when
// the field is absent or not a string.
func (e entryChecker) str(name string) (string, *node, bool) {
	v, ok := e.fields[name]
	if !ok {
		return "", nil, false
	}
	if v.kind != kindString {
		e.c.addf(v.offset, "%s.%s: must be a string, not %s", e.path, name, v.kind.phrase())
		return "", nil, false
	}
	return v.str, v, true
}

// describe checks what identifies the service to people: id, name and description.
func (e entryChecker) describe(svc *services.Service) {
	if id, v, ok := e.str("id"); ok {
		svc.ID = id
		e.c.unique(v, e.path+".id", id, services.ValidServiceID(id), serviceIDPattern, e.c.idOwner, e.i)
	}
	if name, v, ok := e.str("name"); ok {
		svc.Name = name
		if strings.TrimSpace(name) == "" {
			e.c.addf(v.offset, "%s.name: must not be blank", e.path)
		}
	}
	if desc, _, ok := e.str("description"); ok {
		svc.Description = desc
	}
}

// endpoints checks the protocol's URLs.
func (e entryChecker) endpoints(svc *services.Service) {
	for _, u := range []struct {
		name string
		dst  *string
	}{
		{"token_exchange_url", &svc.TokenExchangeURL},
		{"token_revoke_url", &svc.TokenRevokeURL},
		{"health_url", &svc.HealthURL},
	} {
		if raw, v, ok := e.str(u.name); ok {
			*u.dst = raw
			if problem := urlProblem(raw); problem != "" {
				e.c.addf(v.offset, "%s.%s: %s", e.path, u.name, problem)
			}
		}
	}
}

// delivered checks what reaches the person's account: the env var, the skill file and the
// API base URL filled into the skill.
func (e entryChecker) delivered(svc *services.Service) {
	c := e.c
	envOK, baseURLOK := false, true
	if raw, v, ok := e.str("api_base_url"); ok {
		svc.APIBaseURL = raw
		if problem := baseURLProblem(raw); problem != "" {
			c.addf(v.offset, "%s.api_base_url: %s", e.path, problem)
			baseURLOK = false
		}
	}
	if env, v, ok := e.str("env_var_name"); ok {
		svc.EnvVarName = env
		envOK = c.envName(v, e.path+".env_var_name", env, e.i)
	}
	skill, v, ok := e.str("skill_file")
	if !ok {
		return
	}
	svc.SkillFile = skill
	if !c.skill(v, e.path+".skill_file", skill) {
		return
	}
	if baseURLOK {
		c.fill(v, e.path, e.i, *svc)
	}
	if c.opts.lint {
		env := svc.EnvVarName
		if !envOK {
			env = "" // already reported; a second complaint in the skill would only confuse
		}
		c.skillProblems = append(c.skillProblems,
			lintSkill(c.opts.skillPath(skill), c.skillFiles[skill].contents, svc.ID, env)...)
	}
}

// switches checks enabled and ttl_days.
func (e entryChecker) switches(svc *services.Service) {
	if v, ok := e.fields["enabled"]; ok {
		if v.kind == kindBool {
			svc.Enabled = v.boolean
		} else {
			e.c.addf(v.offset, "%s.enabled: must be true or false, not %s", e.path, v.kind.phrase())
		}
	}
	if v, ok := e.fields["ttl_days"]; ok {
		svc.TTLDays = e.c.ttlDays(v, e.path+".ttl_days")
	}
}

// envName checks an env var name: its pattern, the reserved names that change how programs
// run, and the names earlier entries used. It reports whether the name is usable.
func (c *checker) envName(v *node, path, name string, i int) bool {
	if services.ValidEnvName(name) {
		if reason, reserved := services.ReservedEnvName(name); reserved {
			c.addf(v.offset, "%s: %q is reserved: %s", path, name, reason)
			return false
		}
	}
	return c.unique(v, path, name, services.ValidEnvName(name), envNamePattern, c.envOwner, i)
}

// unique checks a name against its pattern and against the names earlier entries used, and
// reports whether it passed.
func (c *checker) unique(v *node, path, value string, valid bool, pattern string, owner map[string]int, i int) bool {
	if !valid {
		c.addf(v.offset, "%s: %q must match %s", path, value, pattern)
		return false
	}
	if first, taken := owner[value]; taken {
		c.addf(v.offset, "%s: %q is already used by services[%d]", path, value, first)
		return false
	}
	owner[value] = i
	return true
}

// skill checks a skill file name and reads the file once, however many entries share it.
// It reports whether the file was read, so its contents can be linted.
func (c *checker) skill(v *node, path, name string) bool {
	if !services.ValidSkillName(name) {
		c.addf(v.offset, "%s: %q must match %s", path, name, skillNamePattern)
		return false
	}
	s, seen := c.skillFiles[name]
	if !seen {
		s.contents, s.problem = readSkill(c.skills, name)
		c.skillFiles[name] = s
	}
	if s.problem != "" {
		c.addf(v.offset, "%s: %s", path, s.problem)
		return false
	}
	return true
}

// fill makes the skill of entry i as it will be delivered for svc: its placeholders filled
// in, checked again by the delivery's rules. Services that share a skill file must fill it
// alike, since a person gets one copy of it.
func (c *checker) fill(v *node, path string, i int, svc services.Service) {
	name := svc.SkillFile
	contents, found := fillSkill(c.skillFiles[name].contents, svc.APIBaseURL, fmt.Sprintf("%s (%q)", path, svc.ID))
	if len(found) > 0 {
		c.skillProblems = append(c.skillProblems, locate(c.opts.skillPath(name), c.skillFiles[name].contents, found)...)
		return
	}
	if problem := contentProblem(contents); problem != "" {
		c.addf(v.offset, "%s.skill_file: %q %s once %s is filled in", path, name, problem, APIBaseURLPlaceholder)
		return
	}
	if first, seen := c.filled[name]; seen {
		if first.contents != contents {
			c.addf(v.offset, "%s.skill_file: %q is also the skill of services[%d], whose api_base_url fills it differently; give each service its own skill file",
				path, name, first.owner)
		}
		return
	}
	c.filled[name] = filledSkill{contents: contents, owner: i}
}

// contents returns the skill files by name as they will be delivered: filled in.
func (c *checker) contents() map[string]string {
	out := make(map[string]string, len(c.filled))
	for name, f := range c.filled {
		out[name] = f.contents
	}
	return out
}

// ttlDays returns a valid TTL or reports why the value is not one.
func (c *checker) ttlDays(v *node, path string) int {
	const want = "must be a whole number of days from %d to %d, not %s"
	if v.kind != kindNumber {
		c.addf(v.offset, "%s: "+want, path, minTTLDays, maxTTLDays, v.kind.phrase())
		return 0
	}
	days, err := v.num.Int64()
	if err != nil || days < minTTLDays || days > maxTTLDays {
		c.addf(v.offset, "%s: "+want, path, minTTLDays, maxTTLDays, v.num.String())
		return 0
	}
	return int(days)
}
