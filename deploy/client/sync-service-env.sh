#!/bin/sh
# sync-service-env.sh: bring the Service Connector keys and skills from the analysis
# server to this laptop. Keys go into a marked block of ./.env (or, with --keys-file, into
# a file outside the project that sc-run reads); the sc_*.md skills are mirrored into
# ./.claude/rules/; ./.claude/settings.json is made to deny the agent reading the files
# that hold keys. Every other line of .env, every other setting and every other file is
# left exactly as it was. POSIX sh and portable tools only: it runs on macOS and Linux.
# The one exception is the JSON merge of the settings, done by python3 (which the keys
# need anyway: they load with python-dotenv).
#
# Extra ssh options (for instance "-F /path/to/ssh_config") can be given in SC_SSH_OPTS;
# they are split on blanks and passed to every ssh call.

set -u

START_MARK='# --- SERVICE CONNECTOR START ---'
END_MARK='# --- SERVICE CONNECTOR END ---'
WARN_DAYS=14
SETTINGS_FILE=./.claude/settings.json
KEYS_HEADER='# Service Connector keys, written by sync-service-env.sh --keys-file. Run commands with sc-run; edits are overwritten.'

host=data-analyst
env_file=./.env
rules_dir=./.claude/rules
from_dir=
keys_file=
agent_settings=1
dry_run=0
quiet=0

usage() {
	cat <<'EOF'
Usage: sync-service-env.sh [options]

Fetch your Service Connector keys (~/.service_env) and skills (~/.claude_rules/sc_*.md)
from the analysis server and merge them into this project.

  --host HOST      ssh host to fetch from (default: data-analyst)
  --env FILE       .env file to update (default: ./.env)
  --rules DIR      skills directory to mirror sc_*.md into (default: ./.claude/rules)
  --from-dir DIR   read DIR/.service_env and DIR/.claude_rules/ instead of using ssh
  --keys-file FILE keep the keys in FILE (mode 600, outside the project) instead of
                   .env; .env then only tells sc-run where they are
  --no-agent-settings
                   leave .claude/settings.json alone (by default its permissions.deny
                   gains Read rules for the files that hold keys)
  --dry-run        print what would change, change nothing
  --quiet          print only warnings and errors
  --help           show this help

Environment: SC_SSH_OPTS adds options to every ssh call (e.g. "-F ~/.ssh/other_config");
SC_PYTHON names the python3 that merges .claude/settings.json.
Only the lines between the SERVICE CONNECTOR START and END markers of .env are replaced.
EOF
}

say() {
	if [ "$quiet" -eq 0 ]; then
		printf '%s\n' "$*"
	fi
}

warn() {
	printf 'sync-service-env: warning: %s\n' "$*" >&2
}

die() {
	printf 'sync-service-env: %s\n' "$*" >&2
	exit 1
}

need_arg() {
	if [ "$2" -lt 2 ]; then
		die "option $1 needs a value (see --help)"
	fi
}

while [ "$#" -gt 0 ]; do
	case $1 in
	--host) need_arg "$1" "$#"; host=$2; shift 2 ;;
	--host=*) host=${1#--host=}; shift ;;
	--env) need_arg "$1" "$#"; env_file=$2; shift 2 ;;
	--env=*) env_file=${1#--env=}; shift ;;
	--rules) need_arg "$1" "$#"; rules_dir=$2; shift 2 ;;
	--rules=*) rules_dir=${1#--rules=}; shift ;;
	--from-dir) need_arg "$1" "$#"; from_dir=$2; shift 2 ;;
	--from-dir=*) from_dir=${1#--from-dir=}; shift ;;
	--keys-file) need_arg "$1" "$#"; keys_file=$2; shift 2 ;;
	--keys-file=*) keys_file=${1#--keys-file=}; shift ;;
	--no-agent-settings) agent_settings=0; shift ;;
	--dry-run) dry_run=1; shift ;;
	--quiet) quiet=1; shift ;;
	--help | -h) usage; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done

case $host in
'' | -*) die "invalid --host '$host'" ;;
esac
if [ -z "$env_file" ] || [ -z "$rules_dir" ]; then
	die "--env and --rules need a non-empty value"
fi
if [ -n "$from_dir" ] && [ ! -d "$from_dir" ]; then
	die "--from-dir $from_dir is not a directory"
fi
case $env_file in
*/*) env_dir=${env_file%/*} ;;
*) env_dir=. ;;
esac
[ -n "$env_dir" ] || env_dir=/

# inside tells whether the physical path $1 is the directory $2 or lies below it.
inside() {
	[ "$2" = / ] && return 0
	case $1/ in
	"$2"/*) return 0 ;;
	esac
	return 1
}

# The project is the current directory (and the git work tree around it): the agent reads
# what is in there, so --keys-file must point elsewhere.
proj=$(pwd -P) || die "cannot tell the current directory"
keys_path=
if [ -n "$keys_file" ]; then
	# The path is written unquoted into .env for sc-run, so it keeps to a safe charset.
	case $keys_file in
	*[!A-Za-z0-9._/+=:@-]*) die "--keys-file '$keys_file': use a path of letters, digits and ._/+=:@- only; nothing changed" ;;
	esac
	case $keys_file in
	*/*) keys_dir=${keys_file%/*} ;;
	*) keys_dir=. ;;
	esac
	keys_base=${keys_file##*/}
	case $keys_base in
	'' | . | ..) die "--keys-file '$keys_file' does not name a file; nothing changed" ;;
	esac
	# Both the path as written (through any symlinked directory) and the real one must lie
	# outside the project, and outside the git work tree and the directory of .env.
	keys_logical=$(cd "${keys_dir:-/}" 2>/dev/null && pwd) ||
		die "--keys-file '$keys_file': its directory does not exist (create it with mkdir -m 700); nothing changed"
	keys_dir=$(cd "${keys_dir:-/}" && pwd -P) || die "cannot resolve the directory of --keys-file '$keys_file'"
	keys_path=${keys_dir%/}/$keys_base
	keys_logical=${keys_logical%/}/$keys_base
	git_top=$(git -C "$proj" rev-parse --show-toplevel 2>/dev/null) && git_top=$(cd "$git_top" && pwd -P) || git_top=
	env_phys=$(cd "$env_dir" 2>/dev/null && pwd -P) || env_phys=
	env_logical=$(cd "$env_dir" 2>/dev/null && pwd) || env_logical=
	for root in "$proj" "$(pwd)" "$git_top" "$env_phys" "$env_logical"; do
		for p in "$keys_path" "$keys_logical"; do
			if [ -n "$root" ] && inside "$p" "$root"; then
				die "--keys-file $p is inside the project ($root), where the agent can read it; choose a file outside it, nothing changed"
			fi
		done
	done
	case $keys_path in
	*[!A-Za-z0-9._/+=:@-]*) die "--keys-file '$keys_file' resolves to $keys_path: use a path of letters, digits and ._/+=:@- only; nothing changed" ;;
	esac
fi

# awk must treat .env as bytes, whatever the analyst's locale.
LC_ALL=C
export LC_ALL

umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sc-sync.XXXXXXXX") || die "cannot create a private temporary directory"
# Temp files in the .env and rules directories are removed on any exit too.
stray=
cleanup() {
	rm -rf "$tmp"
	if [ -n "$stray" ]; then
		rm -f "$stray"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# remote runs a command on the server through sh, whatever the login shell is, never
# prompting: a sync run from a script must fail rather than hang on a password. Its stdin
# is /dev/null: inside a `while read` loop ssh would otherwise eat the rest of the list.
remote() {
	set -f
	# shellcheck disable=SC2086 # SC_SSH_OPTS is split on purpose.
	ssh ${SC_SSH_OPTS:-} -o BatchMode=yes -o ConnectTimeout=15 -- "$host" "sh -c '$1'" </dev/null
	rc=$?
	set +f
	return "$rc"
}

# ssh_reason is the last complaint of ssh (or of the command on the server), so the analyst
# sees why the files could not be fetched: printable ASCII only, since the server may put
# terminal escape sequences in it, and at most 300 characters.
ssh_reason() {
	reason=$(tail -n 1 "$tmp/ssh.err" | tr -cd ' -~' | cut -c 1-300)
	printf '%s' "${reason:-ssh exit $1}"
}

# ---- fetch: everything lands in $tmp before anything local is changed ----------------

server_env=$tmp/service_env
server_skills=$tmp/skills
mkdir "$server_skills" || die "cannot create a temporary directory"
env_state=present
where=${from_dir:-$host}
kept="kept the old keys in $env_file and the skills as they were"

valid_skill_name() {
	case $1 in
	sc_*.md) ;;
	*) return 1 ;;
	esac
	case $1 in
	*[!A-Za-z0-9._-]* | .* | *..*) return 1 ;;
	esac
	return 0
}

# on_server runs a command in the server account's home: over ssh, or with --from-dir in
# that directory. Both sources run the same commands, so a symlink or an odd file is
# refused the same way whether the files come over ssh or from a mounted directory.
on_server() {
	if [ -n "$from_dir" ]; then
		(cd "$from_dir" && exec sh -c "$1") </dev/null
	else
		remote "$1"
	fi
}

# What the portal delivers at most: 1 MiB in all, 256 KiB for one skill. The count of
# skills is bounded too, since each one is a round trip and a file.
MAX_FETCH=1048576
MAX_SKILL=262144
MAX_SKILLS=1000

# fetch runs a command on the server and keeps what it prints in $1, at most $3 bytes
# (MAX_FETCH when not given): a server that sends more gets rc 47, and the pipe closing
# stops it. The command's own status is left in rc, the size of $1 in size.
fetch() {
	limit=${3:-$MAX_FETCH}
	{
		on_server "$2" 2>"$tmp/ssh.err"
		echo "$?" >"$tmp/rc"
	} | head -c "$((limit + 1))" >"$1"
	rc=$(cat "$tmp/rc")
	size=$(wc -c <"$1" | tr -d ' ')
	if [ "$size" -gt "$limit" ]; then
		rc=47
	fi
}

# server_path names a file of the server account's for messages.
server_path() {
	if [ -n "$from_dir" ]; then
		printf '%s/%s' "$from_dir" "$1"
	else
		printf '%s:~/%s' "$host" "$1"
	fi
}

# Copy regular files only: a symlink could point at anything on the machine that reads it
# (with --from-dir, at the analyst's own ~/.ssh), a FIFO would block the read forever.
# Exit 45: a symlink; 46: not a regular file (or, for the directory, not one we can list).
fetch "$server_env" 'if [ -L .service_env ]; then exit 45; elif [ ! -e .service_env ]; then exit 44; elif [ ! -f .service_env ]; then exit 46; else exec cat .service_env; fi'
case $rc in
0) ;;
44) env_state=absent ;;
45) die "$(server_path .service_env) is a symlink, which is refused; $kept" ;;
46) die "$(server_path .service_env) is not a regular file; $kept" ;;
47) die "$(server_path .service_env) is larger than $MAX_FETCH bytes; $kept" ;;
*) die "could not fetch $(server_path .service_env) ($(ssh_reason "$rc")); $kept" ;;
esac
total=$size

fetch "$tmp/skills.list" 'if [ -L .claude_rules ]; then exit 45; elif [ ! -e .claude_rules ]; then exit 0; elif [ ! -d .claude_rules ] || [ ! -r .claude_rules ] || [ ! -x .claude_rules ]; then exit 46; fi; cd .claude_rules || exit 46; for f in sc_*.md; do if [ -L "$f" ]; then printf "L %s\n" "$f"; elif [ -f "$f" ]; then printf "F %s\n" "$f"; elif [ -e "$f" ]; then printf "O %s\n" "$f"; fi; done'
case $rc in
0) ;;
45) die "$(server_path .claude_rules) is a symlink, which is refused; $kept" ;;
46) die "cannot list $(server_path .claude_rules); $kept" ;;
47) die "the list of $(server_path .claude_rules) is larger than $MAX_FETCH bytes; $kept" ;;
*) die "could not list $(server_path .claude_rules) ($(ssh_reason "$rc")); $kept" ;;
esac
if [ "$(grep -c '^F sc_' "$tmp/skills.list")" -gt "$MAX_SKILLS" ]; then
	die "$(server_path .claude_rules) holds more than $MAX_SKILLS skills, more than the portal ever delivers; $kept"
fi
while IFS=' ' read -r kind name; do
	valid_skill_name "$name" || continue
	case $kind in
	F) ;;
	L) die "$(server_path ".claude_rules/$name") is a symlink, which is refused; $kept" ;;
	*) die "$(server_path ".claude_rules/$name") is not a regular file; $kept" ;;
	esac
	fetch "$server_skills/$name" "if [ -L .claude_rules/$name ] || [ ! -f .claude_rules/$name ]; then exit 45; fi; exec cat .claude_rules/$name" "$MAX_SKILL"
	case $rc in
	0) ;;
	45) die "$(server_path ".claude_rules/$name") is no longer a regular file; $kept" ;;
	47) die "$(server_path ".claude_rules/$name") is larger than $MAX_SKILL bytes; $kept" ;;
	*) die "could not fetch $(server_path ".claude_rules/$name") ($(ssh_reason "$rc")); $kept" ;;
	esac
	total=$((total + size))
	if [ "$total" -gt "$MAX_FETCH" ]; then
		die "the files of $where add up to more than $MAX_FETCH bytes, more than the portal ever delivers; $kept"
	fi
done <"$tmp/skills.list"

# ---- check the server file: comments and NAME=value lines only ------------------------

# Names that change how programs start, load code, read their configuration or where they
# connect. The same list is services.ReservedEnvPatterns in the portal, which refuses
# them in the registry; a spec keeps the two equal. One pattern per line: an exact name,
# PREFIX* or *_SUFFIX.
reserved_env_patterns='
# reserved-env-names:start
PATH
HOME
SHELL
ENV
BASH_ENV
IFS
PS1
PS2
PS3
PS4
PROMPT_COMMAND
CDPATH
GLOBIGNORE
SHELLOPTS
BASHOPTS
ZDOTDIR
HISTFILE
BASH*
PS0
INPUTRC
FPATH
TMOUT
PWD
OLDPWD
SHLVL
RANDOM
SRANDOM
SECONDS
LINENO
OPTIND
OPTARG
PPID
UID
EUID
GROUPS
FUNCNAME
DIRSTACK
HISTCMD
EPOCHSECONDS
EPOCHREALTIME
LD_*
DYLD_*
GLIBC_TUNABLES
GCONV_PATH
MALLOC_*
LOCPATH
NLSPATH
PYTHON*
IPYTHONDIR
JUPYTER_*
NODE_OPTIONS
NODE_PATH
PERL5*
PERLLIB
RUBYOPT
RUBYLIB
R_PROFILE*
R_ENVIRON*
R_LIBS*
JAVA_TOOL_OPTIONS
JDK_JAVA_OPTIONS
_JAVA_OPTIONS
CLASSPATH
OPENSSL_CONF
NODE_REPL_EXTERNAL_MODULE
YARN_*
COREPACK_*
CONDARC
POETRY_*
IRBRC
BUNDLE_*
GEM_HOME
GEM_PATH
GEMRC
JAVA_HOME
JAVA_OPTS
MAVEN_OPTS
MAVEN_ARGS
GRADLE_OPTS
GRADLE_USER_HOME
SBT_OPTS
ANT_OPTS
MAKEFILES
MAKEFLAGS
MFLAGS
GNUMAKEFLAGS
CC
CXX
CFLAGS
CXXFLAGS
CPPFLAGS
LDFLAGS
CGO_*
GOFLAGS
GOENV
GOWORK
GOTOOLCHAIN
GOROOT
GOPATH
GOBIN
GOAUTH
GOPROXY
GOSUMDB
GONOSUMDB
GOPRIVATE
GONOPROXY
GOINSECURE
GOVCS
RUSTFLAGS
RUSTC*
RUSTDOC*
CARGO_*
RUSTUP_*
PSQLRC
VIMINIT
EXINIT
TERMINFO*
TERMCAP
EDITOR
VISUAL
PAGER
MANPAGER
LESSOPEN
LESSCLOSE
BROWSER
SUDO_ASKPASS
*_PROXY
SSL_CERT_FILE
SSL_CERT_DIR
REQUESTS_CA_BUNDLE
CURL_CA_BUNDLE
NODE_EXTRA_CA_CERTS
NODE_TLS_REJECT_UNAUTHORIZED
DOCKER_HOST
SSLKEYLOGFILE
CURL_HOME
WGETRC
HOSTALIASES
LOCALDOMAIN
RES_OPTIONS
RESOLV_*
GIT_*
SSH_*
PIP_*
UV_*
NPM_CONFIG_*
AWS_CONFIG_FILE
KUBECONFIG
DOCKER_CONFIG
OPENAI_BASE_URL
ANTHROPIC_BASE_URL
OPENAI_API_BASE
CLAUDE_*
HF_ENDPOINT
AWS_SHARED_CREDENTIALS_FILE
AWS_ENDPOINT_URL*
AWS_CA_BUNDLE
CLOUDSDK_*
GOOGLE_APPLICATION_CREDENTIALS
DOCKER_CONTEXT
DOCKER_CERT_PATH
PGHOST
PGHOSTADDR
PGSERVICEFILE
PGSYSCONFDIR
DISPLAY
XAUTHORITY
TMPDIR
TMP
TEMP
XDG_*
LANG
LANGUAGE
LC_*
TZ
SC_*
# reserved-env-names:end
'

# nul_line prints the line of the first NUL byte in a file, "?" if cmp does not say, and
# nothing when the file holds none. awk cannot be trusted with NUL: the macOS awk drops the
# rest of the line.
nul_line() {
	tr -d '\000' <"$1" >"$tmp/nonul" || die "cannot read $1; nothing changed"
	cmp -s "$1" "$tmp/nonul" && return 0
	at=$(cmp "$1" "$tmp/nonul" 2>&1 | sed -n 's/.*line \([0-9][0-9]*\).*/\1/p')
	printf '%s' "${at:-?}"
}

at=$(nul_line "$server_env")
if [ -n "$at" ]; then
	die "~/.service_env from $where is damaged (a NUL byte on line $at); nothing changed"
fi

# A skill is what the portal could deliver: UTF-8 text without a NUL byte. Anything else
# (a library, a jar) did not come from it. iconv checks the UTF-8 where it is installed.
have_iconv=0
if command -v iconv >/dev/null 2>&1; then
	have_iconv=1
fi
for f in "$server_skills"/sc_*.md; do
	[ -f "$f" ] || continue
	at=$(nul_line "$f")
	if [ -n "$at" ]; then
		die "$(server_path ".claude_rules/${f##*/}") is damaged (a NUL byte on line $at); $kept"
	fi
	if [ "$have_iconv" -eq 1 ] && ! iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1; then
		die "$(server_path ".claude_rules/${f##*/}") is not UTF-8 text, so the portal did not write it; $kept"
	fi
done

# The block is built from the server's lines; key names go to keys.list. A line that is
# not a comment or a NAME=value line the portal writes (the protocol's key charset and
# length) stops the run, so a damaged or hostile file never reaches .env. Every byte must
# be printable ASCII or a tab: python-dotenv takes a lone CR for a line break (in a comment
# too) and cannot load a file that is not UTF-8.
problem=$(SC_RESERVED=$reserved_env_patterns awk -v S="$START_MARK" -v E="$END_MARK" -v blk="$tmp/block" -v keys="$tmp/keys.list" '
BEGIN {
	n = split(ENVIRON["SC_RESERVED"], all, "\n")
	for (i = 1; i <= n; i++) if (all[i] != "" && all[i] !~ /^#/) res[++nres] = all[i]
}
# reserved is the pattern a name matches, or "".
function reserved(name,    i, p) {
	for (i = 1; i <= nres; i++) {
		p = res[i]
		if (p ~ /^\*/) {
			p = substr(p, 2)
			if (length(name) >= length(p) && substr(name, length(name) - length(p) + 1) == p) return res[i]
		} else if (p ~ /\*$/) {
			p = substr(p, 1, length(p) - 1)
			if (substr(name, 1, length(p)) == p) return res[i]
		} else if (name == p) return res[i]
	}
	return ""
}
{
	at = "line " NR " of the server file"
	# A marker is refused however it is dressed: the .env side reads a line as a
	# marker after taking off a CR.
	t = $0; gsub(/\r/, "", t); sub(/[ \t]+$/, "", t)
	if (t == S || t == E) { print at " is a block marker"; exit }
	if ($0 ~ /[^ -~\t]/) { print at " holds a carriage return or another byte that is not printable ASCII"; exit }
	if ($0 ~ /^[ \t]*$/) next
	if ($0 ~ /^#/) { print > blk; next }
	if ($0 ~ /^[A-Za-z_][A-Za-z0-9_]*=/) {
		name = $0; sub(/=.*/, "", name)
		p = reserved(toupper(name))
		if (p != "") { print at " sets " name ", which changes how programs run (reserved: " p ")"; exit }
	}
	value = $0; sub(/^[^=]*=/, "", value)
	if ($0 !~ /^[A-Z][A-Z0-9_]*=[A-Za-z0-9._~+\/=:-]*$/ || length(value) < 8 || length(value) > 4096) {
		print at " is not a comment or a NAME=value line with a key"; exit
	}
	if (name in seen) { print "key " name " appears twice in the server file"; exit }
	seen[name] = 1
	print > blk
	print name > keys
}' "$server_env")
if [ -n "$problem" ]; then
	die "~/.service_env from $where is damaged ($problem); nothing changed"
fi
: >>"$tmp/block"
: >>"$tmp/keys.list"
nkeys=$(awk 'END { print NR }' "$tmp/keys.list")

# ---- check .env: its block, if any, must be whole ------------------------------------

env_exists=0
if [ -e "$env_file" ] || [ -L "$env_file" ]; then
	[ -f "$env_file" ] || die "$env_file is not a regular file; nothing changed"
	[ -r "$env_file" ] || die "cannot read $env_file; nothing changed"
	env_exists=1
	cp "$env_file" "$tmp/env.old" || die "cannot read $env_file; nothing changed"
	at=$(nul_line "$tmp/env.old")
	if [ -n "$at" ]; then
		die "$env_file holds a NUL byte on line $at, which awk cannot carry over intact; remove it by hand, nothing changed"
	fi
else
	: >"$tmp/env.old"
fi

damage=$(awk -v S="$START_MARK" -v E="$END_MARK" '
{
	t = $0; sub(/\r$/, "", t)
	if (t == S) {
		if (s) { print "two START markers, lines " s " and " NR; bad = 1; exit }
		s = NR
	} else if (t == E) {
		if (!s) { print "END marker on line " NR " comes before any START marker"; bad = 1; exit }
		if (e) { print "two END markers, lines " e " and " NR; bad = 1; exit }
		e = NR
	}
}
END { if (!bad && s && !e) print "START marker on line " s " has no END marker" }' "$tmp/env.old")
if [ -n "$damage" ]; then
	die "the Service Connector block in $env_file is damaged ($damage); fix or remove the markers by hand, nothing changed"
fi

# ---- merge -----------------------------------------------------------------------------

# With --keys-file the block in .env holds no key, only where sc-run finds them.
env_block=$tmp/block
if [ -n "$keys_path" ]; then
	env_block=$tmp/envblock
	{
		printf '%s\n' "# Your Service Connector keys are not in this project but in the file below: run commands with sc-run."
		printf 'SC_KEYS_FILE=%s\n' "$keys_path"
	} >"$env_block"
fi

# awk always ends its output with a newline; remember whether the original did not, so
# a last line of the analyst's own is written back byte for byte.
no_final_newline=0
if [ -s "$tmp/env.old" ] && [ -n "$(tail -c 1 "$tmp/env.old")" ]; then
	no_final_newline=1
fi

awk -v S="$START_MARK" -v E="$END_MARK" -v blk="$env_block" -v nkeys="$nkeys" -v nonl="$no_final_newline" '
{ line[NR] = $0 }
END {
	n = NR; s = 0; e = 0
	for (i = 1; i <= n; i++) {
		t = line[i]; sub(/\r$/, "", t)
		if (t == S) s = i
		else if (t == E) e = i
	}
	# The block follows the file'"'"'s own line ends, so a CRLF .env stays CRLF.
	cr = ""
	if (s) { if (line[s] ~ /\r$/) cr = "\r" }
	else if (n > 0 && line[1] ~ /\r$/) cr = "\r"
	nb = 0
	if (nkeys > 0) {
		b[++nb] = S cr
		while ((getline l < blk) > 0) b[++nb] = l cr
		b[++nb] = E cr
	}
	k = 0
	if (s) {
		for (i = 1; i < s; i++) o[++k] = line[i]
		for (i = 1; i <= nb; i++) o[++k] = b[i]
		for (i = e + 1; i <= n; i++) o[++k] = line[i]
		lastmine = (e < n)
	} else {
		for (i = 1; i <= n; i++) o[++k] = line[i]
		for (i = 1; i <= nb; i++) o[++k] = b[i]
		lastmine = (nb == 0)
	}
	for (i = 1; i <= k; i++) {
		if (i == k && nonl && lastmine) printf "%s", o[i]
		else printf "%s\n", o[i]
	}
}' "$tmp/env.old" >"$tmp/env.new" || die "could not merge the keys into $env_file; nothing changed"

# Tell the analyst when one of their own lines outside the block sets a synced key: with
# python-dotenv the last assignment wins, so a later line hides the synced key. (With
# --keys-file sc-run puts the keys in the environment, which python-dotenv never overrides.)
if [ "$nkeys" -gt 0 ] && [ -z "$keys_path" ]; then
	awk -v S="$START_MARK" -v E="$END_MARK" -v keys="$tmp/keys.list" -v f="$env_file" '
	BEGIN { while ((getline k < keys) > 0) want[k] = 1 }
	{
		t = $0; sub(/\r$/, "", t)
		if (t == S) { inblk = 1; next }
		if (t == E) { inblk = 0; after = 1; next }
		if (inblk) next
		sub(/^[ \t]*export[ \t]+/, "", t)
		sub(/^[ \t]*/, "", t)
		if (t !~ /^[A-Za-z_][A-Za-z0-9_]*[ \t]*=/) next
		name = t; sub(/[ \t]*=.*/, "", name)
		if (name in want)
			printf "sync-service-env: warning: %s is also set on line %d of %s, %s; python-dotenv uses the last one\n", name, NR, f, (after ? "after the Service Connector block, so your line wins" : "before the Service Connector block") > "/dev/stderr"
	}' "$tmp/env.new"
fi

# ---- expiry ---------------------------------------------------------------------------

now=${SC_NOW:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
awk -v now="$now" -v days="$WARN_DAYS" '
function civil(y, m, d,    era, yoe, doy, doe) {
	y -= (m <= 2)
	era = int(y / 400)
	yoe = y - era * 400
	doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return era * 146097 + doe - 719468
}
# epoch turns an RFC 3339 time into seconds since 1970, or -1 if it is not one.
function epoch(t,    secs, off, sign) {
	if (t !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][Tt ][0-9][0-9]:[0-9][0-9]:[0-9][0-9]/) return -1
	secs = civil(substr(t, 1, 4) + 0, substr(t, 6, 2) + 0, substr(t, 9, 2) + 0) * 86400 + substr(t, 12, 2) * 3600 + substr(t, 15, 2) * 60 + substr(t, 18, 2)
	t = substr(t, 20)
	sub(/^\.[0-9]+/, "", t)
	if (t ~ /^[Zz]$/) return secs
	if (t !~ /^[+-][0-9][0-9]:[0-9][0-9]$/) return -1
	off = substr(t, 2, 2) * 3600 + substr(t, 5, 2) * 60
	sign = (substr(t, 1, 1) == "+") ? 1 : -1
	return secs - sign * off
}
BEGIN { nowsec = epoch(now) }
{
	sub(/\r$/, "")
	if ($0 !~ /^#[ \t]*[A-Za-z0-9_.-]+[ \t]+expires[ \t]+[^ \t]+[ \t]*$/) next
	n = split($0, f, /[ \t]+/)
	svc = f[2]; when = f[4]
	if (f[1] != "#") { svc = substr(f[1], 2); when = f[3] }
	at = epoch(when)
	if (at < 0 || nowsec < 0) next
	if (at <= nowsec)
		printf "sync-service-env: warning: your %s key expired on %s; reconnect %s in the Service Connector portal, then sync again\n", svc, when, svc > "/dev/stderr"
	else if (at - nowsec <= days * 86400)
		printf "sync-service-env: warning: your %s key expires in %d day(s) (%s); reconnect %s in the Service Connector portal, then sync again\n", svc, int((at - nowsec + 86399) / 86400), when, svc > "/dev/stderr"
}' "$tmp/block"

# ---- plan the skills -----------------------------------------------------------------

: >"$tmp/skills.add"
: >"$tmp/skills.del"
if [ -e "$rules_dir" ] && [ ! -d "$rules_dir" ]; then
	die "$rules_dir is not a directory; nothing changed"
fi
for f in "$server_skills"/sc_*.md; do
	[ -f "$f" ] || continue
	name=${f##*/}
	# Renaming onto a directory (or a link to one) would drop the skill inside it.
	if [ -d "$rules_dir/$name" ]; then
		die "$rules_dir/$name is a directory, where the skill $name goes; move it away and sync again, nothing changed"
	fi
	if [ ! -f "$rules_dir/$name" ] || [ -L "$rules_dir/$name" ] || ! cmp -s "$f" "$rules_dir/$name"; then
		printf '%s\n' "$name" >>"$tmp/skills.add"
	fi
done
if [ -d "$rules_dir" ]; then
	for f in "$rules_dir"/sc_*.md; do
		[ -f "$f" ] || [ -L "$f" ] || continue
		name=${f##*/}
		# Only a name the portal could have written is ours to remove. Any other is the
		# analyst's, and a newline in it would make the list below name another file.
		valid_skill_name "$name" || continue
		if [ ! -f "$server_skills/$name" ]; then
			printf '%s\n' "$name" >>"$tmp/skills.del"
		fi
	done
fi

# ---- plan the keys file --------------------------------------------------------------

keys_changes=0
if [ -n "$keys_path" ]; then
	if [ -L "$keys_path" ]; then
		die "$keys_path is a symlink; point --keys-file at a real file, nothing changed"
	elif [ -e "$keys_path" ]; then
		[ -f "$keys_path" ] || die "$keys_path is not a regular file; nothing changed"
		[ -r "$keys_path" ] || die "cannot read $keys_path; nothing changed"
		# Never overwrite a file of the analyst's: only one this script wrote, or an empty one.
		if [ -s "$keys_path" ] && [ "$(head -n 1 "$keys_path")" != "$KEYS_HEADER" ]; then
			die "$keys_path was not written by sync-service-env.sh; choose another --keys-file, nothing changed"
		fi
	fi
	{
		printf '%s\n' "$KEYS_HEADER"
		cat "$tmp/block"
	} >"$tmp/keys.new"
	if [ ! -f "$keys_path" ] || ! cmp -s "$tmp/keys.new" "$keys_path"; then
		keys_changes=1
	fi
fi

# ---- plan the agent's settings: deny it reading the files that hold keys ---------------

# find_python sets python to a python3 that runs: SC_PYTHON if set, else the first that
# works of python3 in PATH (a pyenv shim fails without its environment) and the usual
# places (Debian's /usr/bin/python3, python.org's and Homebrew's on macOS).
find_python() {
	if [ -n "${SC_PYTHON:-}" ]; then
		set -- "$SC_PYTHON"
	else
		set -- python3 /usr/bin/python3 /usr/local/bin/python3 /opt/homebrew/bin/python3
	fi
	for py do
		if "$py" -I -c 'import json, sys; sys.exit(sys.version_info < (3, 6))' </dev/null >/dev/null 2>&1; then
			python=$py
			return 0
		fi
	done
	return 1
}

# read_rule prints the Claude Code rule that denies reading the file $2 in the physical
# directory $1: ./path inside the project, ~/path under the home directory, //path
# elsewhere. A path with characters a rule would read as a pattern gets no rule.
read_rule() {
	rule_path=${1%/}/$2
	case $rule_path in
	*[!A-Za-z0-9._/+=:@-]*) return 1 ;;
	esac
	home_phys=$(cd "${HOME:-/nonexistent}" 2>/dev/null && pwd -P) || home_phys=
	if inside "$rule_path" "$proj"; then
		printf 'Read(./%s)\n' "${rule_path#"${proj%/}"/}"
	elif [ -n "$home_phys" ] && [ "$home_phys" != / ] && inside "$rule_path" "$home_phys"; then
		printf 'Read(~/%s)\n' "${rule_path#"$home_phys"/}"
	else
		printf 'Read(/%s)\n' "$rule_path"
	fi
}

# The JSON merge: strict JSON only (a file with comments, trailing commas, duplicate keys
# or NaN is refused: rewriting it would lose or change what it says). Every setting is kept
# in its order; the rules missing from permissions.deny are appended. Exit 0: nothing to
# add; 10: the new file and its mode are written; 3: refused, the reason on stderr.
merge_settings_py='
import json, math, os, sys

path, new_path, rules_path = sys.argv[1:4]

def refuse(why):
    sys.stderr.write(why + "\n")
    sys.exit(3)

def unique_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("the key %s appears twice" % json.dumps(key))
        obj[key] = value
    return obj

def no_constant(name):
    raise ValueError("%s is not a JSON number" % name)

def finite(text):
    value = float(text)
    if math.isinf(value):
        raise ValueError("a number is out of range")
    return value

with open(rules_path, encoding="utf-8") as f:
    rules = [line.rstrip("\n") for line in f if line.strip()]
mode = 0o644
try:
    with open(path, "rb") as f:
        raw = f.read()
    mode = os.stat(path).st_mode & 0o777
except FileNotFoundError:
    raw = None
except OSError as e:
    refuse("it cannot be read (%s)" % e.strerror)
data = {}
if raw is not None:
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=unique_keys,
                          parse_constant=no_constant, parse_float=finite)
    except json.JSONDecodeError as e:
        refuse("it is not strict JSON (line %d, column %d: %s); comments and trailing commas are not allowed" % (e.lineno, e.colno, e.msg))
    except (ValueError, RecursionError) as e:
        refuse("it is not strict JSON (%s)" % e)
if not isinstance(data, dict):
    refuse("it is not a JSON object")
permissions = data.get("permissions", {})
if not isinstance(permissions, dict):
    refuse("its \"permissions\" is not an object")
deny = permissions.get("deny", [])
if not isinstance(deny, list):
    refuse("its \"permissions.deny\" is not a list")
missing = [rule for rule in rules if rule not in deny]
if not missing:
    sys.exit(0)
permissions["deny"] = deny + missing
data["permissions"] = permissions
text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
try:
    encoded = text.encode("utf-8")
except UnicodeEncodeError:
    encoded = (json.dumps(data, indent=2) + "\n").encode("ascii")
with open(new_path, "wb") as f:
    f.write(encoded)
with open(new_path + ".mode", "w") as f:
    f.write("%o\n" % mode)
with open(new_path + ".added", "w", encoding="utf-8") as f:
    f.write(" ".join(missing) + "\n")
sys.exit(10)
'

settings_changes=0
if [ "$agent_settings" -eq 1 ]; then
	if [ -L "$SETTINGS_FILE" ]; then
		die "$SETTINGS_FILE is a symlink; pass --no-agent-settings to leave it alone, nothing changed"
	elif [ -e "$SETTINGS_FILE" ] && [ ! -f "$SETTINGS_FILE" ]; then
		die "$SETTINGS_FILE is not a regular file; nothing changed"
	fi
	: >"$tmp/deny.rules"
	env_phys=$(cd "$env_dir" 2>/dev/null && pwd -P) || env_phys=
	if [ -n "$env_phys" ]; then
		read_rule "$env_phys" "${env_file##*/}" >>"$tmp/deny.rules" ||
			warn "no rule can name $env_file literally, so .claude/settings.json does not deny reading it"
	fi
	if [ -n "$keys_path" ]; then
		read_rule "$keys_dir" "$keys_base" >>"$tmp/deny.rules"
	fi
	find_python || die "found no python3 that runs (it merges the deny rule into $SETTINGS_FILE); set SC_PYTHON to one, or pass --no-agent-settings, nothing changed"
	"$python" -I -c "$merge_settings_py" "$SETTINGS_FILE" "$tmp/settings.new" "$tmp/deny.rules" 2>"$tmp/python.err"
	rc=$?
	case $rc in
	0) ;;
	10) settings_changes=1 ;;
	3) die "$SETTINGS_FILE cannot be updated: $(tail -n 1 "$tmp/python.err"); fix it or pass --no-agent-settings, nothing changed" ;;
	*) die "$python failed on $SETTINGS_FILE ($(tail -n 1 "$tmp/python.err")); nothing changed" ;;
	esac
fi

env_changes=1
if [ "$env_exists" -eq 1 ] && cmp -s "$tmp/env.old" "$tmp/env.new"; then
	env_changes=0
fi
if [ "$env_exists" -eq 0 ] && [ "$nkeys" -eq 0 ]; then
	env_changes=0
fi

if [ "$env_changes" -eq 1 ]; then
	[ -d "$env_dir" ] || die "directory $env_dir does not exist; nothing changed"
	# Renaming over a symlink would replace the link, not the file it points to.
	[ ! -L "$env_file" ] || die "$env_file is a symlink; point --env at the real file, nothing changed"
fi

if [ "$env_state" = absent ]; then
	say "no ~/.service_env on $where: you have no connected services yet"
fi

# say_env tells what happened (or, with "would", what would happen) to .env and the keys.
say_env() {
	if [ "$keys_changes" -eq 1 ]; then
		say "$1 $nkeys key(s) into $keys_path: $(tr '\n' ' ' <"$tmp/keys.list")"
	fi
	if [ "$env_changes" -eq 0 ]; then
		say "$env_file is up to date"
	elif [ "$nkeys" -eq 0 ]; then
		say "$2 the Service Connector block from $env_file"
	elif [ -n "$keys_path" ]; then
		say "$3 $env_file at $keys_path for sc-run; $env_file holds no key"
	else
		say "$1 $nkeys key(s) into $env_file: $(tr '\n' ' ' <"$tmp/keys.list")"
	fi
}

if [ "$dry_run" -eq 1 ]; then
	if [ "$settings_changes" -eq 1 ]; then
		say "would add $(cat "$tmp/settings.new.added") to permissions.deny in $SETTINGS_FILE"
	fi
	say_env "would write" "would remove" "would point"
	while IFS= read -r name; do say "would install skill $rules_dir/$name"; done <"$tmp/skills.add"
	while IFS= read -r name; do say "would remove skill $rules_dir/$name"; done <"$tmp/skills.del"
	exit 0
fi

# install_file puts the bytes of $1 at $2 with mode $3: written to a private mktemp file in
# the same directory, then renamed into place, so a reader sees the old file or the new
# one, never half of one. The mode comes after the bytes, so a read-only file (444) can be
# replaced too. A failure leaves $2 as it was.
install_file() {
	case $2 in
	*/*) install_dir=${2%/*} ;;
	*) install_dir=. ;;
	esac
	stray=$(mktemp "${install_dir:-/}/.sc-sync.XXXXXXXX") || return 1
	cat "$1" >"$stray" && chmod "$3" "$stray" && mv -f "$stray" "$2" || return 1
	stray=
}

# ---- apply: the deny rule first, then the keys, then .env ----------------------------
# The agent is told not to read the files before they hold keys.

if [ "$settings_changes" -eq 1 ]; then
	mkdir -p "${SETTINGS_FILE%/*}" || die "cannot create ${SETTINGS_FILE%/*}; nothing changed"
	install_file "$tmp/settings.new" "$SETTINGS_FILE" "$(cat "$tmp/settings.new.mode")" ||
		die "cannot replace $SETTINGS_FILE; nothing changed"
	say "added $(cat "$tmp/settings.new.added") to permissions.deny in $SETTINGS_FILE"
fi

if [ "$keys_changes" -eq 1 ]; then
	install_file "$tmp/keys.new" "$keys_path" 600 || die "cannot replace $keys_path; kept the old keys"
fi
if [ -n "$keys_path" ] && [ -f "$keys_path" ] && [ ! -L "$keys_path" ]; then
	chmod 600 "$keys_path" || warn "cannot set mode 600 on $keys_path"
fi

if [ "$env_changes" -eq 1 ]; then
	install_file "$tmp/env.new" "$env_file" 600 || die "cannot replace $env_file (is its directory writable?); it is as it was"
fi
say_env "wrote" "removed" "pointed"
# The analyst's .env holds secrets: keep it private even if it was not rewritten.
if [ -f "$env_file" ] && [ ! -L "$env_file" ]; then
	chmod 600 "$env_file" || warn "cannot set mode 600 on $env_file"
fi

# ---- apply: skills, each replaced atomically -----------------------------------------

if [ -s "$tmp/skills.add" ]; then
	mkdir -p "$rules_dir" || die "cannot create $rules_dir; keys were synced, skills were not"
fi
while IFS= read -r name; do
	install_file "$server_skills/$name" "$rules_dir/$name" 600 || die "cannot replace $rules_dir/$name"
	say "installed skill $rules_dir/$name"
done <"$tmp/skills.add"
while IFS= read -r name; do
	rm -f "$rules_dir/$name" || die "cannot remove $rules_dir/$name"
	say "removed skill $rules_dir/$name"
done <"$tmp/skills.del"

exit 0
