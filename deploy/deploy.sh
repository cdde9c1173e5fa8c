#!/bin/bash
# deploy.sh: install Service Connector on a Debian host, or into a scratch tree.
#
#   deploy/deploy.sh [--root DIR] [--bin DIR]
#
# Run as root from a checkout after `make build`. Idempotent: a second run changes nothing
# but what the build changed. It creates the system user, the private data dir, installs the
# binaries (the helper root:root 0755), the sudoers snippet (checked by visudo -cf first,
# then 0440), the systemd unit, the example registry and skills (only when missing, so an
# admin's edits stay), the environment file from its template (only when missing; mode
# 640; its content is never printed), and the key that encrypts API keys at rest
# (/etc/service-connector/store.key, root:root 0400, made only when missing, never printed;
# the unit hands it to the portal with LoadCredential=). With --root DIR everything goes
# under DIR and nothing on the host changes: no host user, no systemctl.
set -euo pipefail
umask 022

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=""
bin="$here/../bin"
user=service-connector

die() { echo "deploy.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--root) [ $# -ge 2 ] || die "--root needs a directory"; root=$(cd "$2" && pwd) || die "no directory $2"; shift 2 ;;
	--bin) [ $# -ge 2 ] || die "--bin needs a directory"; bin=$2; shift 2 ;;
	-h | --help) sed -n '2,14p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (try --help)" ;;
	esac
done
[ "$(id -u)" = 0 ] || die "run as root"
[ "$root" != / ] || root=""
for f in "$bin/service-connector" "$bin/install-service-env"; do
	[ -x "$f" ] || die "$f is missing: run make build first"
done

etc="$root/etc/service-connector"
data="$root/var/lib/service-connector"

# The system user and group, in DIR's account files when --root is given.
ensure_user() {
	local prefix=()
	if [ -n "$root" ]; then
		mkdir -p "$root/etc"
		for f in "$root/etc/passwd" "$root/etc/group"; do
			[ -e "$f" ] || : >"$f"
		done
		prefix=(--prefix "$root")
	fi
	if ! grep -q "^$user:" "$root/etc/passwd"; then
		useradd "${prefix[@]}" --system --user-group --no-create-home \
			--home-dir /var/lib/service-connector --shell /usr/sbin/nologin "$user"
	fi
}

# uid and gid of the portal's user, from the account files deployed into.
ids() {
	local uid gid
	uid=$(awk -F: -v u="$user" '$1 == u { print $3 }' "$root/etc/passwd")
	gid=$(awk -F: -v u="$user" '$1 == u { print $4 }' "$root/etc/passwd")
	[ -n "$uid" ] && [ -n "$gid" ] || die "no $user in $root/etc/passwd"
	echo "$uid:$gid"
}

# install_file SRC DST OWNER MODE: copy only when the content differs, always fix owner and
# mode, replacing by rename so a reader never sees half a file.
install_file() {
	local src=$1 dst=$2 owner=$3 mode=$4 tmp
	mkdir -p "$(dirname "$dst")"
	if [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$src" "$dst"; then
		chown "$owner" "$dst"
		chmod "$mode" "$dst"
		return
	fi
	# sudo ignores names with a dot in sudoers.d, so the temp file is never read as a rule.
	tmp=$(mktemp "$(dirname "$dst")/.deploy.XXXXXX")
	cat "$src" >"$tmp"
	chown "$owner" "$tmp"
	chmod "$mode" "$tmp"
	mv -f "$tmp" "$dst"
}

# install_once SRC DST OWNER MODE: for files admins own after the first deploy.
install_once() {
	if [ -e "$2" ] || [ -L "$2" ]; then
		chown "$3" "$2"
		chmod "$4" "$2"
	else
		install_file "$@"
	fi
}

ensure_dir() { # DIR OWNER MODE
	mkdir -p "$1"
	chown "$2" "$1"
	chmod "$3" "$1"
}

ensure_user
owner=$(ids)

ensure_dir "$data" "$owner" 0700
ensure_dir "$etc" "0:${owner#*:}" 0750
ensure_dir "$etc/skills" "0:${owner#*:}" 0750
ensure_dir "$root/usr/local/bin" 0:0 0755

install_file "$bin/service-connector" "$root/usr/local/bin/service-connector" 0:0 0755
install_file "$bin/install-service-env" "$root/usr/local/bin/install-service-env" 0:0 0755

# The sudoers snippet: a broken one could lock everyone out of sudo, so it is checked on
# its own before it goes into place.
visudo -cqf "$here/../sudo/sudoers-service-connector" >/dev/null || die "visudo rejects sudo/sudoers-service-connector"
ensure_dir "$root/etc/sudoers.d" 0:0 0750
install_file "$here/../sudo/sudoers-service-connector" "$root/etc/sudoers.d/service-connector" 0:0 0440

install_file "$here/systemd/service-connector.service" "$root/etc/systemd/system/service-connector.service" 0:0 0644

install_once "$here/service_connectors.json" "$etc/service_connectors.json" "0:${owner#*:}" 0640
for skill in "$here"/skills/sc_*.md; do
	install_once "$skill" "$etc/skills/$(basename "$skill")" "0:${owner#*:}" 0640
done
# The environment file holds secrets: created from the template once, never printed.
install_once "$here/service-connector.env.example" "$etc/service-connector.env" "0:${owner#*:}" 0640

# The key that encrypts API keys at rest: 32 random bytes in base64, made once, root's alone.
# An admin's rotated file (a new key above the old) is kept as it is; only its owner and
# mode are put right. Written aside and linked into place, so it is there whole or not at all.
ensure_store_key() {
	local key="$etc/store.key" tmp
	if [ -e "$key" ] || [ -L "$key" ]; then
		[ -f "$key" ] && [ ! -L "$key" ] || die "$key is not a regular file"
		chown 0:0 "$key"
		chmod 0400 "$key"
		return
	fi
	tmp=$(mktemp "$etc/.deploy.XXXXXX")
	chmod 0400 "$tmp"
	{
		echo "# Service Connector: the key that encrypts API keys at rest. Keep it apart from the database and its backups."
		head -c 32 /dev/urandom | base64
	} >"$tmp"
	chown 0:0 "$tmp"
	ln "$tmp" "$key" || { rm -f "$tmp"; die "could not create $key"; }
	rm -f "$tmp"
	echo "deploy.sh: made $key (the key that encrypts API keys at rest): back it up apart from the database"
}
ensure_store_key

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable service-connector.service >/dev/null
	systemctl try-restart service-connector.service
fi
echo "deploy.sh: installed into ${root:-/}; fill in the secrets in /etc/service-connector/service-connector.env"
