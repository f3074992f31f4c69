#!/usr/bin/env bash
# Installs what syncd's tests need, idempotently, and prints the chDB library
# path (the only line on stdout):
#
#   export CHDB_LIB_PATH="$(scripts/test-deps.sh)"
#
# - Debian packages, only those missing: clickhouse-server clickhouse-client
#   (the 18.16 server the sink tests start privately), zookeeper (cluster
#   tests), prometheus (promtool for the alert rules), docker-compose.
# - libchdb.so (embedded ClickHouse) from the npm package
#   @chdb/lib-linux-x64-gnu@${CHDB_VERSION} into a cache outside the repo:
#   ${SYNCD_CHDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/syncd/chdb-$CHDB_VERSION}/package/libchdb.so
#
# Nothing is started here: the Go test harness (internal/sink/sinktest)
# starts and stops its own ClickHouse server on a free loopback port.
set -euo pipefail

CHDB_VERSION="${CHDB_VERSION:-26.5.3}"
APT_PACKAGES=(clickhouse-server clickhouse-client zookeeper prometheus docker-compose)

log() { echo "test-deps: $*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		log "need root to run: $*"
		return 1
	fi
}

apt_install() {
	local missing=()
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		return 0
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		log "missing ${missing[*]} and no apt-get: install them by hand"
		return 1
	fi
	log "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

apt_install "${APT_PACKAGES[@]}"

case "$(uname -m)" in
x86_64 | amd64) CHDB_PKG="@chdb/lib-linux-x64-gnu" ;;
aarch64 | arm64) CHDB_PKG="@chdb/lib-linux-arm64-gnu" ;;
*)
	log "no chDB build for $(uname -m)"
	exit 1
	;;
esac

cache="${SYNCD_CHDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/syncd/chdb-$CHDB_VERSION}"
lib="$cache/package/libchdb.so"
if [ -s "$lib" ]; then
	log "libchdb.so $CHDB_VERSION already in $cache"
else
	command -v npm >/dev/null 2>&1 || apt_install npm
	mkdir -p "$cache"
	tmp="$(mktemp -d "$cache/.download.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	log "fetching $CHDB_PKG@$CHDB_VERSION"
	(cd "$tmp" && npm pack --silent "$CHDB_PKG@$CHDB_VERSION" >&2)
	tar -xzf "$tmp"/*.tgz -C "$tmp"
	if [ ! -s "$tmp/package/libchdb.so" ]; then
		log "package has no package/libchdb.so"
		exit 1
	fi
	rm -rf "$cache/package"
	mv "$tmp/package" "$cache/package" # atomic within the cache dir
	log "installed $lib"
fi

echo "$lib"
