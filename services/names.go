package services

import (
	"regexp"
	"strings"
)

var (
	usernamePattern  = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	serviceIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	envNamePattern   = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	skillNamePattern = regexp.MustCompile(`^sc_[a-z0-9_]+\.md$`)
	apiKeyPattern    = regexp.MustCompile(`^[A-Za-z0-9._~+/=:-]+$`)
)

// ValidUsername reports whether name is a Linux user name the portal may deliver to:
// at most 32 characters of [a-z0-9_-], not starting with a digit or a dash.
func ValidUsername(name string) bool { return usernamePattern.MatchString(name) }

// ValidServiceID reports whether id is a registry service id (^[a-z][a-z0-9_]*$).
func ValidServiceID(id string) bool { return serviceIDPattern.MatchString(id) }

// ValidEnvName reports whether name is an environment variable name the portal writes.
func ValidEnvName(name string) bool { return envNamePattern.MatchString(name) }

// ValidSkillName reports whether name is a skill file name the portal manages (sc_*.md).
func ValidSkillName(name string) bool { return skillNamePattern.MatchString(name) }

// The lengths of an API key the protocol allows.
const (
	MinAPIKeyLength = 8
	MaxAPIKeyLength = 4096
)

// ValidAPIKey reports whether key has the protocol's key charset and length (8–4096), so it
// can be written unquoted into an env file and never breaks a line.
func ValidAPIKey(key string) bool {
	return len(key) >= MinAPIKeyLength && len(key) <= MaxAPIKeyLength && apiKeyPattern.MatchString(key)
}

// reservedEnvName is one entry of the list of environment variable names the portal never
// writes: a pattern and why names matching it are dangerous.
type reservedEnvName struct {
	// pattern is an exact name, a prefix ending in "*" (LD_*), or the one suffix pattern
	// "*_PROXY".
	pattern string
	reason  string
}

// reservedEnvNames is the one documented list of names that change how programs start, load
// code, where they connect or what they trust. A delivered key sits in ~/.service_env and in
// the project's .env, which analysts source into their shells and load into Python; under
// one of these names the value (a key-shaped string of the registry's choosing, which may
// well be a path or a URL) would steer the analyst's programs. The registry refuses such an
// env_var_name, the root helper refuses such a bundle entry, and the laptop sync keeps the
// same list (between its reserved-env-names markers) for lines coming from the server.
var reservedEnvNames = []reservedEnvName{
	// What the shell runs, and how.
	{"PATH", "it decides which program a command runs"},
	{"HOME", "it decides where programs read their start-up files and settings"},
	{"SHELL", "it decides which shell programs start"},
	{"ENV", "sh and bash run the file it names when they start"},
	{"BASH_ENV", "bash runs the file it names before every script"},
	{"IFS", "it changes how the shell splits words"},
	{"PS1", "interactive shells expand it, running the commands it holds"},
	{"PS2", "interactive shells expand it, running the commands it holds"},
	{"PS3", "the shell expands it, running the commands it holds"},
	{"PS4", "the shell expands it when tracing, running the commands it holds"},
	{"PROMPT_COMMAND", "bash runs it before every prompt"},
	{"CDPATH", "it changes where cd goes"},
	{"GLOBIGNORE", "it changes which files the shell's patterns match"},
	{"SHELLOPTS", "it changes the shell's options"},
	{"BASHOPTS", "it changes bash's options"},
	{"ZDOTDIR", "zsh runs the start-up files of the directory it names"},
	{"HISTFILE", "the shell writes its history into the file it names"},
	// How programs load code.
	{"LD_*", "it changes which libraries programs load"},
	{"DYLD_*", "it changes which libraries programs load on macOS"},
	{"GLIBC_TUNABLES", "it changes how every program's C library starts"},
	{"GCONV_PATH", "it makes the C library load modules from the directory it names"},
	{"MALLOC_*", "it changes the C library's memory allocator"},
	{"LOCPATH", "it makes the C library load locale data from the directory it names"},
	{"NLSPATH", "it makes programs load message catalogs from the path it names"},
	{"PYTHON*", "it changes how Python starts and which code it loads"},
	{"IPYTHONDIR", "IPython and Jupyter run the start-up files of the directory it names"},
	{"JUPYTER_*", "it changes which configuration and code Jupyter loads"},
	{"NODE_OPTIONS", "it adds options, such as code to preload, to every Node.js program"},
	{"NODE_PATH", "it changes where Node.js finds modules"},
	{"PERL5*", "it changes how Perl starts and which code it loads"},
	{"PERLLIB", "it changes where Perl finds modules"},
	{"RUBYOPT", "it adds options, such as code to preload, to every Ruby program"},
	{"RUBYLIB", "it changes where Ruby finds code"},
	{"R_PROFILE*", "R runs the file it names when it starts"},
	{"R_ENVIRON*", "R reads its settings from the file it names when it starts"},
	{"R_LIBS*", "it changes where R finds packages"},
	{"JAVA_TOOL_OPTIONS", "it adds options, such as agents to load, to every Java program"},
	{"JDK_JAVA_OPTIONS", "it adds options, such as agents to load, to every Java program"},
	{"_JAVA_OPTIONS", "it adds options, such as agents to load, to every Java program"},
	{"CLASSPATH", "it changes where Java finds classes"},
	{"OPENSSL_CONF", "OpenSSL loads the configuration, and the modules, it names"},
	// Programs other programs start.
	{"EDITOR", "programs run it to edit a file"},
	{"VISUAL", "programs run it to edit a file"},
	{"PAGER", "programs run it to show their output"},
	{"MANPAGER", "man runs it to show a page"},
	{"LESSOPEN", "less runs it on every file it opens"},
	{"LESSCLOSE", "less runs it after every file it opens"},
	{"BROWSER", "programs run it to open a link"},
	{"SUDO_ASKPASS", "sudo runs it to ask for a password"},
	// Where programs connect, and what they trust.
	{"*_PROXY", "it sends programs' connections through another host"},
	{"SSL_CERT_FILE", "it changes which certificate authorities programs trust"},
	{"SSL_CERT_DIR", "it changes which certificate authorities programs trust"},
	{"REQUESTS_CA_BUNDLE", "it changes which certificate authorities Python's requests trusts"},
	{"CURL_CA_BUNDLE", "it changes which certificate authorities curl and Python's requests trust"},
	{"NODE_EXTRA_CA_CERTS", "it adds certificate authorities Node.js trusts"},
	{"NODE_TLS_REJECT_UNAUTHORIZED", "it can turn off Node.js's certificate checks"},
	{"DOCKER_HOST", "it changes which Docker daemon docker talks to"},
	{"SSLKEYLOGFILE", "TLS libraries write the keys of every connection into the file it names"},
	{"CURL_HOME", "curl reads its options, such as a proxy, from the directory it names"},
	{"WGETRC", "wget reads its options, such as a proxy, from the file it names"},
	{"HOSTALIASES", "it changes which hosts names resolve to"},
	{"LOCALDOMAIN", "it changes how host names resolve"},
	{"RES_OPTIONS", "it changes how host names resolve"},
	{"RESOLV_*", "it changes how host names resolve"},
	{"GIT_*", "it changes how git runs, which commands it starts and where it connects"},
	{"SSH_*", "it changes how ssh authenticates and which agent it uses"},
	{"PIP_*", "it changes where pip installs packages from"},
	{"UV_*", "it changes where uv installs packages from"},
	{"NPM_CONFIG_*", "it changes where npm installs packages from"},
	{"AWS_CONFIG_FILE", "the AWS tools read their settings, which can run commands, from the file it names"},
	{"KUBECONFIG", "kubectl reads its clusters, and commands to run for credentials, from the file it names"},
	{"DOCKER_CONFIG", "docker reads its settings, which can run credential helpers, from the directory it names"},
	{"OPENAI_BASE_URL", "it changes where OpenAI clients send prompts and keys"},
	{"ANTHROPIC_BASE_URL", "it changes where Anthropic clients, Claude Code among them, send prompts and keys"},
	// Files, time and text.
	{"TMPDIR", "it changes where programs write temporary files"},
	{"TMP", "it changes where programs write temporary files"},
	{"TEMP", "it changes where programs write temporary files"},
	{"XDG_*", "it changes where programs read their settings and start-up files"},
	{"LANG", "it changes how programs read and print text"},
	{"LANGUAGE", "it changes how programs read and print text"},
	{"LC_*", "it changes how programs read and print text"},
	{"TZ", "it changes the time programs see"},
	// Service Connector's own tools.
	{"SC_*", "Service Connector's own tools read it, the laptop sync among them (SC_SSH_OPTS adds ssh options)"},
}

// ReservedEnvPatterns is the list of reserved name patterns as written in the table, in
// order: exact names, prefixes ending in "*", and "*_PROXY". The laptop sync script keeps an
// identical copy, which a spec compares with this one. It is a copy: changing it changes
// nothing that ReservedEnvName decides.
var ReservedEnvPatterns = reservedPatterns()

func reservedPatterns() []string {
	out := make([]string, len(reservedEnvNames))
	for i, r := range reservedEnvNames {
		out[i] = r.pattern
	}
	return out
}

// ReservedEnvName reports whether name is an environment variable name the portal must never
// write, because it changes how programs start, load code, where they connect or what they
// trust, and why, in words an admin reads after the name ("it decides which program a
// command runs"). Names compare without regard to case.
func ReservedEnvName(name string) (reason string, reserved bool) {
	upper := strings.ToUpper(name)
	for _, r := range reservedEnvNames {
		if !matchReserved(r.pattern, upper) {
			continue
		}
		if strings.Contains(r.pattern, "*") {
			return "like every name matching " + r.pattern + ", " + r.reason, true
		}
		return r.reason, true
	}
	return "", false
}

// matchReserved matches an upper-case name against one pattern of the table.
func matchReserved(pattern, name string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(name, suffix)
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(name, prefix)
	}
	return name == pattern
}
