package services_test

import (
	"os"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

var _ = Describe("Reserved environment variable names", func() {
	DescribeTable("are refused, with the reason",
		func(name, reasonPart string) {
			reason, reserved := services.ReservedEnvName(name)
			Expect(reserved).To(BeTrue(), name)
			Expect(reason).To(ContainSubstring(reasonPart))
		},
		Entry("BASH_ENV, which makes bash run a file", "BASH_ENV", "bash runs the file it names before every script"),
		Entry("ENV", "ENV", "sh and bash run the file it names"),
		Entry("PATH", "PATH", "which program a command runs"),
		Entry("HOME", "HOME", "start-up files"),
		Entry("SHELL", "SHELL", "which shell"),
		Entry("IFS", "IFS", "splits words"),
		Entry("PS4", "PS4", "running the commands it holds"),
		Entry("PS1", "PS1", "running the commands it holds"),
		Entry("PROMPT_COMMAND", "PROMPT_COMMAND", "before every prompt"),
		Entry("ZDOTDIR, zsh's start-up directory", "ZDOTDIR", "zsh"),
		Entry("LD_PRELOAD, by the LD_* prefix", "LD_PRELOAD", "like every name matching LD_*, it changes which libraries"),
		Entry("LD_LIBRARY_PATH", "LD_LIBRARY_PATH", "LD_*"),
		Entry("DYLD_INSERT_LIBRARIES", "DYLD_INSERT_LIBRARIES", "DYLD_*"),
		Entry("GLIBC_TUNABLES", "GLIBC_TUNABLES", "C library"),
		Entry("PYTHONSTARTUP, by the PYTHON* prefix", "PYTHONSTARTUP", "PYTHON*"),
		Entry("PYTHONPATH", "PYTHONPATH", "PYTHON*"),
		Entry("NODE_OPTIONS", "NODE_OPTIONS", "Node.js"),
		Entry("PERL5OPT", "PERL5OPT", "PERL5*"),
		Entry("RUBYOPT", "RUBYOPT", "Ruby"),
		Entry("JAVA_TOOL_OPTIONS", "JAVA_TOOL_OPTIONS", "Java"),
		Entry("HTTPS_PROXY, by the *_PROXY suffix", "HTTPS_PROXY", "like every name matching *_PROXY"),
		Entry("HTTP_PROXY", "HTTP_PROXY", "*_PROXY"),
		Entry("ALL_PROXY", "ALL_PROXY", "*_PROXY"),
		Entry("NO_PROXY", "NO_PROXY", "*_PROXY"),
		Entry("FTP_PROXY", "FTP_PROXY", "*_PROXY"),
		Entry("SSL_CERT_FILE", "SSL_CERT_FILE", "certificate authorities"),
		Entry("REQUESTS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "certificate authorities"),
		Entry("CURL_CA_BUNDLE", "CURL_CA_BUNDLE", "certificate authorities"),
		Entry("NODE_EXTRA_CA_CERTS", "NODE_EXTRA_CA_CERTS", "certificate authorities"),
		Entry("GIT_SSH_COMMAND", "GIT_SSH_COMMAND", "GIT_*"),
		Entry("SSH_AUTH_SOCK", "SSH_AUTH_SOCK", "SSH_*"),
		Entry("LANG", "LANG", "text"),
		Entry("LC_ALL", "LC_ALL", "LC_*"),
		Entry("TZ", "TZ", "time"),
		Entry("TMPDIR", "TMPDIR", "temporary files"),
		Entry("EDITOR", "EDITOR", "edit a file"),
		Entry("LESSOPEN", "LESSOPEN", "less runs it"),
		Entry("MALLOC_CHECK_", "MALLOC_CHECK_", "MALLOC_*"),
		Entry("RESOLV_HOST_CONF", "RESOLV_HOST_CONF", "RESOLV_*"),
		Entry("XDG_CONFIG_HOME", "XDG_CONFIG_HOME", "XDG_*"),
		Entry("PIP_INDEX_URL", "PIP_INDEX_URL", "where pip installs packages from"),
		Entry("OPENAI_BASE_URL", "OPENAI_BASE_URL", "prompts and keys"),
		Entry("SC_SSH_OPTS, which the laptop sync reads", "SC_SSH_OPTS", "SC_*"),
		Entry("a lower-case spelling", "ld_preload", "LD_*"),
		// A name that points at a file a program reads as code: with it, a skill the server
		// wrote into .claude/rules/ runs as the analyst.
		Entry("MAKEFILES, which makes make read a skill as a makefile", "MAKEFILES", "make reads the files it names"),
		Entry("MAKEFLAGS", "MAKEFLAGS", "make"),
		Entry("GOFLAGS", "GOFLAGS", "every go command"),
		Entry("GOTOOLCHAIN", "GOTOOLCHAIN", "download and run another Go toolchain"),
		Entry("GOPROXY", "GOPROXY", "where go downloads modules"),
		Entry("GOENV", "GOENV", "go reads its settings"),
		Entry("CGO_CFLAGS", "CGO_CFLAGS", "CGO_*"),
		Entry("CFLAGS", "CFLAGS", "compiler"),
		Entry("CC", "CC", "C compiler"),
		Entry("RUSTC_WRAPPER", "RUSTC_WRAPPER", "RUSTC*"),
		Entry("CARGO_BUILD_RUSTC_WRAPPER", "CARGO_BUILD_RUSTC_WRAPPER", "CARGO_*"),
		Entry("IRBRC", "IRBRC", "irb runs the file"),
		Entry("BUNDLE_GEMFILE", "BUNDLE_GEMFILE", "BUNDLE_*"),
		Entry("JAVA_OPTS", "JAVA_OPTS", "agents to load"),
		Entry("YARN_RC_FILENAME", "YARN_RC_FILENAME", "YARN_*"),
		Entry("PSQLRC", "PSQLRC", "shell commands"),
		Entry("VIMINIT", "VIMINIT", "vim runs the commands"),
		Entry("INPUTRC", "INPUTRC", "readline"),
		Entry("BASH_XTRACEFD, by the BASH* prefix", "BASH_XTRACEFD", "BASH*"),
		Entry("PS0", "PS0", "before every command"),
		Entry("CLAUDE_CONFIG_DIR", "CLAUDE_CONFIG_DIR", "Claude Code"),
		Entry("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL*"),
		Entry("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS", "credentials"),
		Entry("PGHOST", "PGHOST", "database server"),
		Entry("DISPLAY", "DISPLAY", "X server"),
		// bash keeps these for itself: exported, a key under them never reaches a program,
		// and sc-run could not mask it.
		Entry("GROUPS", "GROUPS", "the shell keeps it for itself"),
		Entry("SECONDS", "SECONDS", "the shell keeps it for itself"),
		Entry("RANDOM", "RANDOM", "the shell keeps it for itself"),
		Entry("FUNCNAME", "FUNCNAME", "the shell keeps it for itself"),
		Entry("UID", "UID", "the shell keeps it for itself"),
		Entry("BASH_SOURCE", "BASH_SOURCE", "BASH*"),
	)

	DescribeTable("leave ordinary key names alone",
		func(name string) {
			reason, reserved := services.ReservedEnvName(name)
			Expect(reserved).To(BeFalse(), reason)
			Expect(reason).To(BeEmpty())
		},
		Entry("the example registry's PO_API_KEY", "PO_API_KEY"),
		Entry("INVOICING_API_KEY", "INVOICING_API_KEY"),
		Entry("CRM_API_KEY", "CRM_API_KEY"),
		Entry("a name that only contains PATH", "MYPATH_API_KEY"),
		Entry("a name that ends like a reserved prefix", "PO_LD_KEY"),
		Entry("a name that starts like PROXY without the underscore", "PROXYMAN_KEY"),
		Entry("a name ending in PROXY without the underscore", "SQUIDPROXY"),
		Entry("a name that starts like ENV", "ENVOY_API_KEY"),
		Entry("a name that starts like LANG", "LANGFUSE_API_KEY"),
		Entry("a name that starts like TZ", "TZDB_KEY"),
		Entry("a name that starts like HOME", "HOMEPAGE_API_KEY"),
		Entry("OPENAI_API_KEY, a key name a gateway may well hand out", "OPENAI_API_KEY"),
		Entry("a name that starts like GO", "GOOGLE_MAPS_API_KEY"),
		Entry("a name that starts like CC", "CCTV_API_KEY"),
		Entry("a name that starts like CARGO without the underscore", "CARGOWISE_API_KEY"),
		Entry("a name that starts like PG", "PGP_API_KEY"),
		Entry("a name that starts like UID", "UIDAI_API_KEY"),
		Entry("a name that starts like PWD", "PWDMGR_API_KEY"),
	)

	It("exports its patterns as written: exact names, PREFIX* and the one suffix pattern *_PROXY", func() {
		Expect(services.ReservedEnvPatterns).To(ContainElements(
			"PATH", "HOME", "SHELL", "ENV", "BASH_ENV", "IFS", "PS4", "PROMPT_COMMAND", "CDPATH", "GLOBIGNORE",
			"SHELLOPTS", "BASHOPTS", "LD_*", "DYLD_*", "PYTHON*", "NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS",
			"PERL5*", "PERLLIB", "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS",
			"CLASSPATH", "*_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_*",
			"SSH_*", "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR", "EDITOR", "VISUAL", "PAGER", "GCONV_PATH",
			"MALLOC_*", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_*", "XDG_*"))
		valid := regexp.MustCompile(`^(\*_PROXY|_?[A-Z][A-Z0-9_]*\*?)$`)
		seen := map[string]bool{}
		for _, p := range services.ReservedEnvPatterns {
			Expect(p).To(MatchRegexp(valid.String()), "a pattern the laptop sync can match too")
			Expect(seen[p]).To(BeFalse(), "%s is listed twice", p)
			seen[p] = true
			_, reserved := services.ReservedEnvName(strings.TrimSuffix(strings.TrimPrefix(p, "*"), "*"))
			Expect(reserved).To(BeTrue(), "the pattern's own text matches it: %s", p)
		}
	})

	It("hands out a copy of the patterns, so changing it weakens nothing", func() {
		saved := services.ReservedEnvPatterns
		DeferCleanup(func() { services.ReservedEnvPatterns = saved })
		services.ReservedEnvPatterns = nil
		_, reserved := services.ReservedEnvName("LD_PRELOAD")
		Expect(reserved).To(BeTrue())
	})

	It("is documented in README once, pattern for pattern", func() {
		readme, err := os.ReadFile("../README.md")
		Expect(err).NotTo(HaveOccurred())
		_, rest, found := strings.Cut(string(readme), "<!-- reserved-env-names:start -->")
		Expect(found).To(BeTrue(), "README marks the list with reserved-env-names comments")
		block, _, found := strings.Cut(rest, "<!-- reserved-env-names:end -->")
		Expect(found).To(BeTrue())
		Expect(strings.Count(string(readme), "reserved-env-names:start")).To(Equal(1))
		Expect(regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(block, -1)).To(HaveEach(HaveLen(2)))
		var documented []string
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(block, -1) {
			documented = append(documented, m[1])
		}
		Expect(documented).To(Equal(services.ReservedEnvPatterns))
	})
})
