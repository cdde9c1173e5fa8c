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

// LowerASCII lower-cases the ASCII letters of s and nothing else. Emails compare by it:
// Unicode's lower-casing turns the Kelvin sign into k and the dotted capital I into i, which
// would make another person's address out of a look-alike.
func LowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

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
	{"BASH*", "bash reads names starting with BASH as its own settings, or keeps them for itself"},
	{"PS0", "bash expands it before every command, running the commands it holds"},
	{"INPUTRC", "readline reads its key bindings, which can type commands, from the file it names"},
	{"FPATH", "zsh and ksh load functions from the directories it names"},
	{"TMOUT", "it makes an idle shell exit"},
	// Names the shell keeps for itself.
	{"PWD", "programs take it for the current directory"},
	{"OLDPWD", "cd - goes to the directory it names"},
	{"SHLVL", "the shell keeps it for itself"},
	{"RANDOM", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"SRANDOM", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"SECONDS", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"LINENO", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"OPTIND", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"OPTARG", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"PPID", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"UID", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"EUID", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"GROUPS", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"FUNCNAME", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"DIRSTACK", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"HISTCMD", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"EPOCHSECONDS", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
	{"EPOCHREALTIME", "the shell keeps it for itself, so a key under it never reaches the programs the shell starts"},
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
	{"NODE_REPL_EXTERNAL_MODULE", "Node.js runs the module it names instead of its prompt"},
	{"YARN_*", "it changes which configuration, and which Yarn, yarn runs"},
	{"COREPACK_*", "it changes where Corepack downloads the package managers it runs"},
	{"CONDARC", "conda reads its settings, such as where it installs packages from, from the file it names"},
	{"POETRY_*", "it changes where Poetry installs packages from"},
	{"IRBRC", "irb runs the file it names when it starts"},
	{"BUNDLE_*", "it changes which Gemfile, Ruby code, bundler runs and where it installs gems from"},
	{"GEM_HOME", "it changes where Ruby finds gems"},
	{"GEM_PATH", "it changes where Ruby finds gems"},
	{"GEMRC", "gem reads its settings, such as where it installs gems from, from the file it names"},
	{"JAVA_HOME", "it decides which Java the tools that start Java run"},
	{"JAVA_OPTS", "the scripts that start Java programs pass it on, agents to load among its options"},
	{"MAVEN_OPTS", "it adds options, such as agents to load, to the Java that runs Maven"},
	{"MAVEN_ARGS", "it adds options to every Maven build"},
	{"GRADLE_OPTS", "it adds options, such as agents to load, to the Java that runs Gradle"},
	{"GRADLE_USER_HOME", "Gradle runs the init scripts of the directory it names"},
	{"SBT_OPTS", "it adds options, such as agents to load, to the Java that runs sbt"},
	{"ANT_OPTS", "it adds options, such as agents to load, to the Java that runs Ant"},
	// How programs are built, and which toolchain builds them.
	{"MAKEFILES", "make reads the files it names as makefiles, running the commands they hold"},
	{"MAKEFLAGS", "it adds options to every make"},
	{"MFLAGS", "it adds options to every make"},
	{"GNUMAKEFLAGS", "it adds options to every make"},
	{"CC", "build tools run it as the C compiler"},
	{"CXX", "build tools run it as the C++ compiler"},
	{"CFLAGS", "build tools pass it to the compiler, which it can tell to include or load files"},
	{"CXXFLAGS", "build tools pass it to the compiler, which it can tell to include or load files"},
	{"CPPFLAGS", "build tools pass it to the compiler, which it can tell to include or load files"},
	{"LDFLAGS", "build tools pass it to the linker, which it can tell to load plugins"},
	{"CGO_*", "go passes it to the C compiler, which it can tell to include or load files"},
	{"GOFLAGS", "it adds options, such as a program to run around every tool, to every go command"},
	{"GOENV", "go reads its settings from the file it names"},
	{"GOWORK", "it makes go build with the modules the go.work file it names points at"},
	{"GOTOOLCHAIN", "it makes go download and run another Go toolchain"},
	{"GOROOT", "it decides which Go toolchain go runs"},
	{"GOPATH", "it changes where go finds and installs code"},
	{"GOBIN", "it changes where go install puts programs"},
	{"GOAUTH", "go runs the command it names for credentials"},
	{"GOPROXY", "it changes where go downloads modules from"},
	{"GOSUMDB", "it changes which checksum database go trusts for modules"},
	{"GONOSUMDB", "it makes go skip the checksum database for the modules it names"},
	{"GOPRIVATE", "it makes go skip the checksum database for the modules it names"},
	{"GONOPROXY", "it changes where go downloads the modules it names from"},
	{"GOINSECURE", "it lets go download the modules it names without https"},
	{"GOVCS", "it changes which version control tools go runs"},
	{"RUSTFLAGS", "cargo passes it to the Rust compiler, which it can tell to load plugins"},
	{"RUSTC*", "it decides which Rust compiler, or wrapper around it, cargo runs"},
	{"RUSTDOC*", "it decides which rustdoc cargo runs, and with which options"},
	{"CARGO_*", "it changes how cargo builds, which programs it runs and where it downloads crates from"},
	{"RUSTUP_*", "it changes where rustup downloads the toolchains it runs"},
	// What other programs run when they start.
	{"PSQLRC", "psql runs the commands, shell commands among them, of the file it names"},
	{"VIMINIT", "vim runs the commands it holds when it starts"},
	{"EXINIT", "vi and ex run the commands it holds when they start"},
	{"TERMINFO*", "it changes which terminal descriptions programs load"},
	{"TERMCAP", "it changes which terminal description programs load"},
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
	{"OPENAI_API_BASE", "it changes where older OpenAI clients send prompts and keys"},
	{"CLAUDE_*", "it changes how Claude Code, the agent itself, runs and where it keeps its settings"},
	{"HF_ENDPOINT", "it changes where Hugging Face clients download models, code among them, from"},
	{"AWS_SHARED_CREDENTIALS_FILE", "the AWS tools read their credentials from the file it names"},
	{"AWS_ENDPOINT_URL*", "it changes where the AWS tools send requests and data"},
	{"AWS_CA_BUNDLE", "it changes which certificate authorities the AWS tools trust"},
	{"CLOUDSDK_*", "it changes where gcloud sends requests and which settings it reads"},
	{"GOOGLE_APPLICATION_CREDENTIALS", "Google clients read their credentials, which can name a command to run, from the file it names"},
	{"DOCKER_CONTEXT", "it changes which Docker daemon docker talks to"},
	{"DOCKER_CERT_PATH", "it changes which certificates docker trusts and presents"},
	{"PGHOST", "it changes which database server PostgreSQL clients connect to"},
	{"PGHOSTADDR", "it changes which database server PostgreSQL clients connect to"},
	{"PGSERVICEFILE", "PostgreSQL clients read their connection settings from the file it names"},
	{"PGSYSCONFDIR", "PostgreSQL clients read their connection settings from the directory it names"},
	{"DISPLAY", "it changes which X server graphical programs connect to, and send their keystrokes to"},
	{"XAUTHORITY", "it changes which X server credentials graphical programs use"},
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
