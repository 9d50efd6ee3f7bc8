#!/usr/bin/env bash
# Runs every fuzz target of the module (the root package, offiaccounttest, and any other
# package with a Fuzz function) for a while each. Not part of CI: CI replays the seeds and
# the corpus kept in testdata/fuzz through the normal `go test` run.
#
#   scripts/fuzz.sh                 # every target, 3 minutes each
#   FUZZTIME=30s scripts/fuzz.sh    # shorter
#   scripts/fuzz.sh FuzzHandler     # only targets matching a regexp
#   KEEP=20 scripts/fuzz.sh         # also copy up to 20 new corpus entries per target from
#                                   # the fuzz cache into <package>/testdata/fuzz/<Target>,
#                                   # for review and commit
#   PARALLEL=1 scripts/fuzz.sh      # fuzzing workers (default 1: the machine is shared)
#
# A failing input is written by `go test` to <package>/testdata/fuzz/<Target>/ already; fix
# the bug and commit that file so CI keeps replaying it.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-3m}"
parallel="${PARALLEL:-1}"
keep="${KEEP:-0}"
filter="${1:-.}"
cache="$(go env GOCACHE)/fuzz"
module="$(go list -m)"
failed=()

for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' | sort -u | grep -E "$filter" || true); do
		printf '\n== %s %s (%s)\n' "${pkg#"$module"}" "$target" "$fuzztime"
		before=$(mktemp)
		ls "$cache/$pkg/$target" 2>/dev/null | sort >"$before" || true
		if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -parallel "$parallel"; then
			failed+=("$pkg $target")
		fi
		if [ "$keep" -gt 0 ] && [ -d "$cache/$pkg/$target" ]; then
			mkdir -p "$dir/testdata/fuzz/$target"
			ls "$cache/$pkg/$target" | sort | comm -13 "$before" - | head -n "$keep" | while read -r f; do
				cp "$cache/$pkg/$target/$f" "$dir/testdata/fuzz/$target/$f"
			done
		fi
		rm -f "$before"
	done
done

if [ ${#failed[@]} -gt 0 ]; then
	printf '\nFAILED:\n'; printf '  %s\n' "${failed[@]}"; exit 1
fi
printf '\nall fuzz targets passed\n'
