package registry

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Option adjusts what Parse checks.
type Option func(*options)

type options struct {
	lint      bool
	skillsDir string
}

// LintSkills makes Parse lint every skill file the registry names: the agent learns the API
// from it, so a wrong env var, a pasted key or a missing section is as broken as a bad URL.
// Skill problems name the file as dir joined with its name, the path the admin knows.
func LintSkills(dir string) Option {
	return func(o *options) { o.lint, o.skillsDir = true, dir }
}

// pythonLangs are the info strings of the fenced blocks read as Python examples, and
// pythonRunCommand how a skill tells the agent to run them.
var pythonLangs = map[string]bool{"python": true, "python3": true, "py": true}

const pythonRunCommand = "sc-run -- python3"

// requiredSections are the second-level headings every skill needs, besides its title:
// how to get the key, what to call, and code the agent can copy.
var requiredSections = []string{"Authentication", "Endpoints", "Examples"}

var (
	headingRE = regexp.MustCompile(`^(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	// apiKeyRE finds names that look like some service's key variable.
	apiKeyRE = regexp.MustCompile(`\b[A-Z][A-Z0-9_]*_API_KEY\b`)
	// envReadRE finds a variable read from Python's environment, anywhere in the file.
	envReadRE = regexp.MustCompile(`os\.(?:environ\[|environ\.get\(|getenv\()\s*["']([A-Za-z_][A-Za-z0-9_]*)["']`)
	// shellVarRE finds $X and ${X} in code blocks.
	shellVarRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
	// liveKeyRE and bearerRE find keys pasted into the file; a $VAR or {expression} after
	// "Bearer " is a reference, not a key, and is excluded by the character class.
	liveKeyRE = regexp.MustCompile(`\b(?:po|inv|crm|pk|sk)_live_[A-Za-z0-9_-]{8,}`)
	bearerRE  = regexp.MustCompile(`Bearer\s+([A-Za-z0-9_\-.+/=]{32,})`)
	// loopbackRE finds a hard-coded loopback address: on the analyst's laptop it is the laptop
	// itself, not the service. The word localhost counts only as a host (//localhost or
	// localhost:PORT), so prose may still mention it.
	loopbackRE = regexp.MustCompile(`(?i)//localhost\b(?::\d+)?|\blocalhost:\d+|\b127\.\d{1,3}\.\d{1,3}\.\d{1,3}\b(?::\d+)?|\b0\.0\.0\.0\b(?::\d+)?|\[(?:0{0,4}:){2,7}0{0,3}1\](?::\d+)?`)
)

// lintSkill returns the problems of a skill file used by service id with env var env,
// located in contents and named file.
func lintSkill(file, contents, id, env string) []Problem {
	l := &skillLinter{id: id, env: env, seenEnv: map[int]bool{}, pythonRead: -1}
	offset := 0
	for line := range strings.Lines(contents) {
		l.line(offset, strings.TrimRight(line, "\r\n"))
		offset += len(line)
	}
	if l.pythonRead >= 0 && !strings.Contains(contents, pythonRunCommand) {
		l.add(l.pythonRead, "reads %s in Python, but the skill never says to run its Python through sc-run; tell the agent to run it with %s SCRIPT.py",
			l.env, pythonRunCommand)
	}
	// Missing parts have no place of their own; the top of the file is where they belong.
	if !l.title {
		l.add(0, "missing a title: the first heading must be \"# <service> API\"")
	}
	for _, want := range requiredSections {
		if !slices.Contains(l.sections, strings.ToLower(want)) {
			l.add(0, "missing the section \"## %s\"", want)
		}
	}
	return locate(file, contents, l.found)
}

// skillLinter is the state of one lintSkill pass over a skill file, line by line.
type skillLinter struct {
	id, env    string
	found      []finding
	seenEnv    map[int]bool // offsets already reported, since the patterns overlap
	title      bool
	sections   []string // second-level headings, lower-cased
	inFence    bool
	lang       string     // the info string's first word of the fence we are in, lower-cased
	shell      *shellScan // reading a shell example
	pythonRead int        // offset of the first read of env in a Python example, or -1
}

// add records a finding at offset.
func (l *skillLinter) add(offset int, format string, args ...any) {
	l.found = append(l.found, finding{offset: offset, message: fmt.Sprintf(format, args...)})
}

// checkEnv reports a variable name other than the service's env var, once per offset.
func (l *skillLinter) checkEnv(offset int, name string) {
	if l.env == "" || name == l.env || l.seenEnv[offset] {
		return
	}
	l.seenEnv[offset] = true
	l.add(offset, "uses env var %q, but the registry's env_var_name for %q is %q", name, l.id, l.env)
}

// line checks one line of the file, text without its line break, starting at offset.
func (l *skillLinter) line(offset int, text string) {
	trimmed := strings.TrimSpace(text)
	if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
		l.fence(trimmed[3:])
	} else if l.inFence {
		for _, m := range shellVarRE.FindAllStringSubmatchIndex(text, -1) {
			l.checkEnv(offset+m[2], text[m[2]:m[3]])
		}
		l.example(offset, text)
	} else if m := headingRE.FindStringSubmatch(text); m != nil {
		if len(m[1]) == 1 {
			l.title = true
		} else {
			l.sections = append(l.sections, strings.ToLower(m[2]))
		}
	}
	for _, m := range envReadRE.FindAllStringSubmatchIndex(text, -1) {
		l.checkEnv(offset+m[2], text[m[2]:m[3]])
	}
	for _, m := range apiKeyRE.FindAllStringIndex(text, -1) {
		l.checkEnv(offset+m[0], text[m[0]:m[1]])
	}
	l.literals(offset, text)
}

// fence opens or closes a fenced code block; info is what follows the opening fence.
func (l *skillLinter) fence(info string) {
	l.inFence = !l.inFence
	l.lang, l.shell = "", nil
	if l.inFence {
		l.lang = strings.ToLower(strings.Fields(info + " x")[0])
		if shellLangs[l.lang] {
			l.shell = &shellScan{}
		}
	}
}

// example checks a line of a fenced example: the agent runs it through sc-run, so the key must
// reach the command only through sc-run's environment.
func (l *skillLinter) example(offset int, text string) {
	if l.env == "" {
		return
	}
	if l.shell != nil {
		for _, ref := range l.shell.scan(text) {
			if ref.name == l.env && !ref.underSCRun {
				l.add(offset+ref.offset, "$%s is expanded outside sc-run, where there is no key and nothing is masked; write the command as sc-run -- sh -c '...' with $%s inside the single quotes",
					l.env, l.env)
			}
		}
	}
	if pythonLangs[l.lang] && l.pythonRead < 0 {
		for _, m := range envReadRE.FindAllStringSubmatchIndex(text, -1) {
			if text[m[2]:m[3]] == l.env {
				l.pythonRead = offset + m[2]
				break
			}
		}
	}
}

// literals reports what must never be written into a skill: keys and loopback addresses.
func (l *skillLinter) literals(offset int, text string) {
	for _, m := range liveKeyRE.FindAllStringIndex(text, -1) {
		l.add(offset+m[0], "contains a key-like literal; load the key from the environment as %s instead", l.env)
	}
	for _, m := range loopbackRE.FindAllStringIndex(text, -1) {
		start := m[0]
		if strings.HasPrefix(text[start:], "//") {
			start += len("//")
		}
		l.add(offset+start, "hard-codes the loopback address %q; write %s where the service's address belongs and give the service an api_base_url",
			text[start:m[1]], APIBaseURLPlaceholder)
	}
	for _, m := range bearerRE.FindAllStringSubmatchIndex(text, -1) {
		l.add(offset+m[2], "contains a key-like literal after \"Bearer \"; use the %s variable instead", l.env)
	}
}

// locate turns findings in a skill file into problems with a line and column, in file order.
func locate(file, contents string, found []finding) []Problem {
	data := []byte(contents)
	slices.SortStableFunc(found, func(a, b finding) int { return a.offset - b.offset })
	problems := make([]Problem, len(found))
	for i, f := range found {
		line, col := position(data, f.offset)
		problems[i] = Problem{File: file, Line: line, Col: col, Message: f.message}
	}
	return problems
}

// skillPath names a skill file as the admin knows it.
func (o options) skillPath(name string) string {
	if o.skillsDir == "" {
		return name
	}
	return filepath.Join(o.skillsDir, name)
}
