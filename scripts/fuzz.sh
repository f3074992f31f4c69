#!/usr/bin/env bash
# Runs every Go fuzz target in the repository for a bounded time each
# (FUZZTIME, default 10s). Used by `make test` (CI) and `make fuzz`.
#
#   FUZZTIME=2m scripts/fuzz.sh        # longer local session
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-10s}"
count=0
while IFS=: read -r file name; do
	pkg="./$(dirname "$file")"
	echo "fuzz: $pkg $name for $FUZZTIME" >&2
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel 2 "$pkg"
	count=$((count + 1))
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's|^\./||; s|:func |:|' | sort)

if [ "$count" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
echo "fuzz: $count targets passed" >&2
