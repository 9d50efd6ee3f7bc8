#!/usr/bin/env bash
# Runs every benchmark of this module once per round, ROUNDS rounds in a row (interleaved: each
# round measures every peer and case within minutes of each other), then writes RESULTS.md with
# medians, per-round ratios (median and 10th-90th percentile), the targets and profiles of ours.
#
#   ./run.sh                                      # the real thing: 10 rounds, RESULTS.md
#   ROUNDS=1 BENCHTIME=100x ./run.sh              # quick check of the pipeline, into out/RESULTS.md
#
# Environment: ROUNDS (10), BENCHTIME (500ms), BENCH (regexp, .), CONC (loopback concurrency,
# 16), PROFTIME (2s, profiles of ours), OUT (raw outputs, ./out), RESULTS (RESULTS.md for 10
# rounds or more, else $OUT/RESULTS.md, a scratch file), NOTE (a sentence on the run's conditions, quoted in RESULTS.md),
# BENCHSTAT (1: add a benchstat table, with the pinned version below), REUSE (1: skip the
# rounds and render the raw output already in $OUT again, with fresh profiles), NOTES (the
# explanation of the misses included in RESULTS.md, misses.md).
# Run it on an idle machine: other work on the same cores shows up in the times.
set -euo pipefail
cd "$(dirname "$0")"

ROUNDS=${ROUNDS:-10}
BENCHTIME=${BENCHTIME:-500ms}
BENCH=${BENCH:-.}
CONC=${CONC:-16}
PROFTIME=${PROFTIME:-2s}
OUT=${OUT:-out}
# Fewer than 10 rounds is a check of the pipeline, not a result: it goes to a scratch file.
if [ "$ROUNDS" -ge 10 ]; then RESULTS=${RESULTS:-RESULTS.md}; else RESULTS=${RESULTS:-$OUT/RESULTS.md}; fi
NOTE=${NOTE:-}
NOTES=${NOTES:-misses.md}
REUSE=${REUSE:-0}
BENCHSTAT=${BENCHSTAT:-0}
BENCHSTAT_PKG=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
mkdir -p "$OUT"

echo "== correctness: every peer against the checker" >&2
go test -count=1 -run . . ./cmd/...

echo "== build" >&2
go test -c -o "$OUT/benchmarks.test" .
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- .. ':(exclude)RESULTS.md' 2>/dev/null)" ]; then commit="$commit+changes"; fi

if [ "$REUSE" != 1 ]; then
	start=$(date +%s)
	: >"$OUT/raw.txt"
	for round in $(seq 1 "$ROUNDS"); do
		echo "== round $round of $ROUNDS" >&2
		echo "# round $round" >>"$OUT/raw.txt"
		"$OUT/benchmarks.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem -test.count 1 \
			-test.benchtime "$BENCHTIME" -test.timeout 3h -loopback.conc "$CONC" | tee -a "$OUT/raw.txt" >&2
	done
	wall=$(($(date +%s) - start))
	echo "$((wall / 60)) min $((wall % 60)) s" >"$OUT/wall.txt"
	echo "$commit" >"$OUT/commit.txt"
fi
wall=$(cat "$OUT/wall.txt" 2>/dev/null || echo "")
commit=$(cat "$OUT/commit.txt" 2>/dev/null || echo "$commit")

: >"$OUT/benchstat.txt"
if [ "$BENCHSTAT" = 1 ]; then
	echo "== benchstat" >&2
	grep -v '^# round' "$OUT/raw.txt" >"$OUT/raw-benchstat.txt"
	go run "$BENCHSTAT_PKG" -col /sdk -filter '.name:Handler' "$OUT/raw-benchstat.txt" >"$OUT/benchstat.txt" ||
		echo "benchstat failed; RESULTS.md goes without it" >&2
fi

echo "== profiles of ours" >&2
: >"$OUT/pprof.txt"
profile() { # name, benchmark regexp
	"$OUT/benchmarks.test" -test.run '^$' -test.bench "$2" -test.benchtime "$PROFTIME" \
		-test.cpuprofile "$OUT/cpu-$1.out" -test.memprofile "$OUT/mem-$1.out" >/dev/null
	{
		# The handler and the garbage collector's background work, not the harness that
		# makes fresh messages between batches.
		echo "-- $1: CPU (ServeHTTP and GC workers)"
		go tool pprof -top -nodecount 15 -focus 'Handler\)\.ServeHTTP|gcBgMarkWorker' \
			"$OUT/benchmarks.test" "$OUT/cpu-$1.out" 2>/dev/null | sed -n '/flat%/,$p'
		echo "-- $1: bytes allocated under ServeHTTP"
		go tool pprof -sample_index=alloc_space -top -nodecount 8 -focus 'Handler\)\.ServeHTTP' \
			"$OUT/benchmarks.test" "$OUT/mem-$1.out" 2>/dev/null | sed -n '/flat%/,$p'
		echo
	} >>"$OUT/pprof.txt"
}
profile handler-safe '^BenchmarkHandler$/^case=safe$/^sdk=ours$'
profile handler-plain '^BenchmarkHandler$/^case=plain$/^sdk=ours$'
profile size-500KB-safe '^BenchmarkSize$/^size=500KB$/^case=safe$/^sdk=ours$'
profile held-1M-safe '^BenchmarkHeld$/^held=1M$/^case=safe$/^sdk=ours$'

go run ./cmd/results -raw "$OUT/raw.txt" -benchstat "$OUT/benchstat.txt" -pprof "$OUT/pprof.txt" \
	-benchtime "$BENCHTIME" -conc "$CONC" -wall "$wall" -note "$NOTE" -notes "$NOTES" \
	-peer "$(go list -m -f '{{.Path}} {{.Version}}' github.com/silenceper/wechat/v2)" \
	-commit "$commit" \
	-kernel "$(uname -srm)" >"$RESULTS"
echo "== wrote $RESULTS (rounds took $wall)" >&2
