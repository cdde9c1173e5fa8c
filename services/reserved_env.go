package services

// ReservedEnvPatterns is the one list of environment variable names that no service may
// use as its env_var_name, because setting them changes how programs start, which code
// they load, which configuration they read or where they connect. A pattern is an exact
// name, a prefix ending in "*" (LD_*), or the one suffix form "*_PROXY".
//
// The laptop scripts (deploy/client/sync-service-env.sh and sc-run) keep the same list
// between their "reserved-env-names" marker lines; a spec in deploy/client holds them equal.
var ReservedEnvPatterns = []string{
	// Shells: what they run at start-up and how they parse.
	"PATH", "HOME", "SHELL", "ENV", "BASH_ENV", "IFS", "PS4", "PROMPT_COMMAND", "CDPATH",
	"GLOBIGNORE", "SHELLOPTS", "BASHOPTS", "ZDOTDIR",
	// The dynamic loader and the C library.
	"LD_*", "DYLD_*", "GCONV_PATH", "MALLOC_*", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_*",
	// Language runtimes that load code named by a variable.
	"PYTHON*", "NODE_OPTIONS", "NODE_PATH", "PERL5*", "PERLLIB", "RUBYOPT", "RUBYLIB",
	"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "CLASSPATH",
	// Where programs connect, and whom they trust.
	"*_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
	"NODE_EXTRA_CA_CERTS", "DOCKER_HOST",
	// Tools whose configuration can run commands or change where they fetch code from.
	"GIT_*", "SSH_*", "OPENSSL_CONF", "PIP_*", "NPM_CONFIG_*", "AWS_CONFIG_FILE", "KUBECONFIG",
	"DOCKER_CONFIG", "WGETRC", "CURL_HOME",
	// Programs other programs start.
	"EDITOR", "VISUAL", "PAGER", "MANPAGER", "LESSOPEN", "BROWSER",
	// Locale, time zone and per-user directories.
	"LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR", "XDG_*",
	// The laptop scripts' own settings (SC_SSH_OPTS, SC_KEYS_FILE, SC_PYTHON, SC_HOST).
	"SC_*",
}
