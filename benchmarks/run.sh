#!/usr/bin/env bash
# Runs every benchmark of this module COUNT times, summarises them with benchstat and writes
# RESULTS.md (table, machine, date, ratios to the floor and to silenceper/wechat, targets).
#
#   ./run.sh                                # the real thing: -count 10, about 8-10 minutes
#   COUNT=1 BENCHTIME=100x ./run.sh         # a quick check that the pipeline works
#
# Environment: COUNT (10), BENCHTIME (1s), BENCH (regexp, .), CONC (loopback concurrency, 16),
# PROFTIME (2s, profile of ours in safe mode), OUT (where raw outputs go, ./out).
# Run it on an idle machine: other work on the same cores shows up in the numbers.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:$(go env GOPATH)/bin"

COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-1s}
BENCH=${BENCH:-.}
CONC=${CONC:-16}
PROFTIME=${PROFTIME:-2s}
OUT=${OUT:-out}
mkdir -p "$OUT"

if ! command -v benchstat >/dev/null 2>&1; then
	go install golang.org/x/perf/cmd/benchstat@latest
fi

echo "== correctness: every peer against the checker" >&2
go test -count=1 -run . .

echo "== benchmarks: -count $COUNT -benchtime $BENCHTIME" >&2
go test -run '^$' -bench "$BENCH" -benchmem -count "$COUNT" -benchtime "$BENCHTIME" \
	-timeout 3h . -args -loopback.conc "$CONC" | tee "$OUT/raw.txt"

echo "== benchstat" >&2
: >"$OUT/benchstat.txt"
first=1
for group in Handler AccessTokenWarm Stampede Loopback; do
	if grep -q "^Benchmark$group/" "$OUT/raw.txt"; then
		# One table per group, columns per SDK; the machine header only once.
		benchstat -col /sdk -filter ".name:$group" "$OUT/raw.txt" |
			if [ $first = 1 ]; then cat; else grep -v '^\(goos\|goarch\|pkg\|cpu\):'; fi >>"$OUT/benchstat.txt"
		echo >>"$OUT/benchstat.txt"
		first=0
	fi
done

echo "== profile of ours, safe mode" >&2
: >"$OUT/pprof-safe.txt"
if grep -q '^BenchmarkHandler/case=safe/sdk=ours' "$OUT/raw.txt"; then
	go test -run '^$' -bench '^BenchmarkHandler$/^case=safe$/^sdk=ours$' -benchtime "$PROFTIME" \
		-cpuprofile "$OUT/cpu-safe.out" -o "$OUT/benchmarks.test" . >/dev/null
	go tool pprof -top -nodecount 25 "$OUT/benchmarks.test" "$OUT/cpu-safe.out" 2>/dev/null |
		sed -n '/^Showing\|flat%/,$p' >"$OUT/pprof-safe.txt"
fi

go run ./cmd/results -raw "$OUT/raw.txt" -benchstat "$OUT/benchstat.txt" -pprof "$OUT/pprof-safe.txt" \
	-count "$COUNT" -benchtime "$BENCHTIME" -conc "$CONC" \
	-peer "$(go list -m -f '{{.Path}} {{.Version}}' github.com/silenceper/wechat/v2)" \
	-commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
	-kernel "$(uname -srm)" >RESULTS.md
echo "== wrote $(pwd)/RESULTS.md" >&2
