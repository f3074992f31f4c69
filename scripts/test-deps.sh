#!/usr/bin/env bash
# Installs what syncd's tests need, idempotently, and prints the path of each
# cached chDB library, one per line, the embedded default (the newest) first:
#
#   export CHDB_LIB_PATH="$(scripts/test-deps.sh | head -n1)"
#
# - Debian packages, only those missing: clickhouse-server clickhouse-client
#   (the 18.16 server the sink tests start privately), zookeeper (cluster
#   tests), prometheus (promtool for the alert rules), docker-compose.
# - libchdb.so (embedded ClickHouse) of every version in CHDB_VERSIONS (the
#   engine matrix: 26.7.3, the default, and 26.5.3) from the npm packages
#   @chdb/lib-linux-x64-gnu@<version> into a cache outside the repo:
#   ${SYNCD_CHDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/syncd}/chdb-<version>/package/libchdb.so
#   which is also where a syncd binary looks for the default version when
#   CHDB_LIB_PATH is not set (internal/sink/libpath.go).
#
# --demo installs only what `syncd demo` needs: the default libchdb.so (and
# npm if it is missing), no test servers.
#
# Nothing is started here: the Go test harness (internal/sink/sinktest)
# starts and stops its own ClickHouse server on a free loopback port.
set -euo pipefail

# The first is the embedded default; keep it equal to sink.DefaultCHDBVersion.
CHDB_VERSIONS="${CHDB_VERSIONS:-26.7.3-stable.1 26.5.3}"
APT_PACKAGES=(clickhouse-server clickhouse-client zookeeper prometheus docker-compose tmux)
demo=false
if [ "${1:-}" = "--demo" ]; then
	demo=true
	CHDB_VERSIONS="${CHDB_VERSIONS%% *}"
fi

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

$demo || apt_install "${APT_PACKAGES[@]}"

case "$(uname -m)" in
x86_64 | amd64) CHDB_PKG="@chdb/lib-linux-x64-gnu" ;;
aarch64 | arm64) CHDB_PKG="@chdb/lib-linux-arm64-gnu" ;;
*)
	log "no chDB build for $(uname -m)"
	exit 1
	;;
esac

fetch_chdb() {
	local version="$1"
	local cache="${SYNCD_CHDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/syncd}/chdb-$version"
	local lib="$cache/package/libchdb.so"
	if [ -s "$lib" ]; then
		log "libchdb.so $version already in $cache"
	else
		command -v npm >/dev/null 2>&1 || apt_install npm
		mkdir -p "$cache"
		local tmp
		tmp="$(mktemp -d "$cache/.download.XXXXXX")"
		log "fetching $CHDB_PKG@$version"
		(cd "$tmp" && npm pack --silent "$CHDB_PKG@$version" >&2)
		tar -xzf "$tmp"/*.tgz -C "$tmp"
		if [ ! -s "$tmp/package/libchdb.so" ]; then
			rm -rf "$tmp"
			log "package $CHDB_PKG@$version has no package/libchdb.so"
			exit 1
		fi
		rm -rf "$cache/package"
		mv "$tmp/package" "$cache/package" # atomic within the cache dir
		rm -rf "$tmp"
		log "installed $lib"
	fi
	echo "$lib"
}

for v in $CHDB_VERSIONS; do
	fetch_chdb "$v"
done
