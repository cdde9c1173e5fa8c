#!/bin/sh
# sync-service-env.sh: bring the Service Connector keys and skills from the analysis
# server to this laptop. Keys go into a marked block of ./.env; the sc_*.md skills are
# mirrored into ./.claude/rules/. Every other line of .env and every other file is left
# exactly as it was. POSIX sh and portable tools only: it runs on macOS and Linux.
#
# Extra ssh options (for instance "-F /path/to/ssh_config") can be given in SC_SSH_OPTS;
# they are split on blanks and passed to every ssh call.

set -u

START_MARK='# --- SERVICE CONNECTOR START ---'
END_MARK='# --- SERVICE CONNECTOR END ---'
WARN_DAYS=14

host=data-analyst
env_file=./.env
rules_dir=./.claude/rules
from_dir=
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
  --dry-run        print what would change, change nothing
  --quiet          print only warnings and errors
  --help           show this help

Environment: SC_SSH_OPTS adds options to every ssh call (e.g. "-F ~/.ssh/other_config").
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
# sees why the files could not be fetched.
ssh_reason() {
	reason=$(tail -n 1 "$tmp/ssh.err" | tr -d '\r')
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
on_server 'if [ -L .service_env ]; then exit 45; elif [ ! -e .service_env ]; then exit 44; elif [ ! -f .service_env ]; then exit 46; else exec cat .service_env; fi' >"$server_env" 2>"$tmp/ssh.err"
rc=$?
case $rc in
0) ;;
44) env_state=absent ;;
45) die "$(server_path .service_env) is a symlink, which is refused; $kept" ;;
46) die "$(server_path .service_env) is not a regular file; $kept" ;;
*) die "could not fetch $(server_path .service_env) ($(ssh_reason "$rc")); $kept" ;;
esac

on_server 'if [ -L .claude_rules ]; then exit 45; elif [ ! -e .claude_rules ]; then exit 0; elif [ ! -d .claude_rules ] || [ ! -r .claude_rules ] || [ ! -x .claude_rules ]; then exit 46; fi; cd .claude_rules || exit 46; for f in sc_*.md; do if [ -L "$f" ]; then printf "L %s\n" "$f"; elif [ -f "$f" ]; then printf "F %s\n" "$f"; elif [ -e "$f" ]; then printf "O %s\n" "$f"; fi; done' >"$tmp/skills.list" 2>"$tmp/ssh.err"
rc=$?
case $rc in
0) ;;
45) die "$(server_path .claude_rules) is a symlink, which is refused; $kept" ;;
46) die "cannot list $(server_path .claude_rules); $kept" ;;
*) die "could not list $(server_path .claude_rules) ($(ssh_reason "$rc")); $kept" ;;
esac
while IFS=' ' read -r kind name; do
	valid_skill_name "$name" || continue
	case $kind in
	F) ;;
	L) die "$(server_path ".claude_rules/$name") is a symlink, which is refused; $kept" ;;
	*) die "$(server_path ".claude_rules/$name") is not a regular file; $kept" ;;
	esac
	on_server "if [ -L .claude_rules/$name ] || [ ! -f .claude_rules/$name ]; then exit 45; fi; exec cat .claude_rules/$name" >"$server_skills/$name" 2>"$tmp/ssh.err"
	rc=$?
	case $rc in
	0) ;;
	45) die "$(server_path ".claude_rules/$name") is no longer a regular file; $kept" ;;
	*) die "could not fetch $(server_path ".claude_rules/$name") ($(ssh_reason "$rc")); $kept" ;;
	esac
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
PS4
PROMPT_COMMAND
CDPATH
GLOBIGNORE
SHELLOPTS
BASHOPTS
ZDOTDIR
LD_*
DYLD_*
GCONV_PATH
MALLOC_*
LOCPATH
NLSPATH
HOSTALIASES
RESOLV_*
PYTHON*
NODE_OPTIONS
NODE_PATH
PERL5*
PERLLIB
RUBYOPT
RUBYLIB
JAVA_TOOL_OPTIONS
JDK_JAVA_OPTIONS
_JAVA_OPTIONS
CLASSPATH
*_PROXY
SSL_CERT_FILE
SSL_CERT_DIR
REQUESTS_CA_BUNDLE
CURL_CA_BUNDLE
NODE_EXTRA_CA_CERTS
DOCKER_HOST
GIT_*
SSH_*
OPENSSL_CONF
PIP_*
NPM_CONFIG_*
AWS_CONFIG_FILE
KUBECONFIG
DOCKER_CONFIG
WGETRC
CURL_HOME
EDITOR
VISUAL
PAGER
MANPAGER
LESSOPEN
BROWSER
LANG
LANGUAGE
LC_*
TZ
TMPDIR
XDG_*
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

# awk always ends its output with a newline; remember whether the original did not, so
# a last line of the analyst's own is written back byte for byte.
no_final_newline=0
if [ -s "$tmp/env.old" ] && [ -n "$(tail -c 1 "$tmp/env.old")" ]; then
	no_final_newline=1
fi

awk -v S="$START_MARK" -v E="$END_MARK" -v blk="$tmp/block" -v nkeys="$nkeys" -v nonl="$no_final_newline" '
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
# python-dotenv the last assignment wins, so a later line hides the synced key.
if [ "$nkeys" -gt 0 ]; then
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
		if [ ! -f "$server_skills/$name" ]; then
			printf '%s\n' "$name" >>"$tmp/skills.del"
		fi
	done
fi

env_changes=1
if [ "$env_exists" -eq 1 ] && cmp -s "$tmp/env.old" "$tmp/env.new"; then
	env_changes=0
fi
if [ "$env_exists" -eq 0 ] && [ "$nkeys" -eq 0 ]; then
	env_changes=0
fi

if [ "$env_state" = absent ]; then
	say "no ~/.service_env on $where: you have no connected services yet"
fi

if [ "$dry_run" -eq 1 ]; then
	if [ "$env_changes" -eq 1 ]; then
		if [ "$nkeys" -gt 0 ]; then
			say "would write $nkeys key(s) into $env_file: $(tr '\n' ' ' <"$tmp/keys.list")"
		else
			say "would remove the Service Connector block from $env_file"
		fi
	else
		say "$env_file is up to date"
	fi
	while IFS= read -r name; do say "would install skill $rules_dir/$name"; done <"$tmp/skills.add"
	while IFS= read -r name; do say "would remove skill $rules_dir/$name"; done <"$tmp/skills.del"
	exit 0
fi

# ---- apply: .env first, atomically ---------------------------------------------------

case $env_file in
*/*) env_dir=${env_file%/*} ;;
*) env_dir=. ;;
esac
[ -n "$env_dir" ] || env_dir=/

if [ "$env_changes" -eq 1 ]; then
	[ -d "$env_dir" ] || die "directory $env_dir does not exist; nothing changed"
	# Renaming over a symlink would replace the link, not the file it points to.
	[ ! -L "$env_file" ] || die "$env_file is a symlink; point --env at the real file, nothing changed"
	stray=$(mktemp "$env_dir/.env.sc-sync.XXXXXXXX") || die "cannot create a temporary file in $env_dir; nothing changed"
	chmod 600 "$stray" || die "cannot set the mode of a temporary file in $env_dir; nothing changed"
	cat "$tmp/env.new" >"$stray" || die "cannot write a temporary file in $env_dir; nothing changed"
	mv -f "$stray" "$env_file" || die "cannot replace $env_file; nothing changed"
	stray=
	if [ "$nkeys" -gt 0 ]; then
		say "wrote $nkeys key(s) into $env_file: $(tr '\n' ' ' <"$tmp/keys.list")"
	else
		say "removed the Service Connector block from $env_file"
	fi
else
	say "$env_file is up to date"
fi
# The analyst's .env holds secrets: keep it private even if it was not rewritten.
if [ -f "$env_file" ] && [ ! -L "$env_file" ]; then
	chmod 600 "$env_file" || warn "cannot set mode 600 on $env_file"
fi

# ---- apply: skills, each replaced atomically -----------------------------------------

if [ -s "$tmp/skills.add" ]; then
	mkdir -p "$rules_dir" || die "cannot create $rules_dir; keys were synced, skills were not"
fi
while IFS= read -r name; do
	stray=$(mktemp "$rules_dir/.sc-sync.XXXXXXXX") || die "cannot create a temporary file in $rules_dir"
	cat "$server_skills/$name" >"$stray" || die "cannot write a temporary file in $rules_dir"
	chmod 600 "$stray" || die "cannot set the mode of a temporary file in $rules_dir"
	mv -f "$stray" "$rules_dir/$name" || die "cannot replace $rules_dir/$name"
	stray=
	say "installed skill $rules_dir/$name"
done <"$tmp/skills.add"
while IFS= read -r name; do
	rm -f "$rules_dir/$name" || die "cannot remove $rules_dir/$name"
	say "removed skill $rules_dir/$name"
done <"$tmp/skills.del"

exit 0
