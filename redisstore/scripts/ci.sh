#!/usr/bin/env bash
# CI of the redisstore module. The tests start their own redis-server (from PATH, or
# $REDIS_SERVER) on a free loopback port and kill it at the end; CI=true turns a missing
# binary into a failure instead of a skip.
#
#   redisstore/scripts/ci.sh             # tidy check, vet, staticcheck, tests with -race
#   redisstore/scripts/ci.sh go1.22.12   # vet and tests (no -race) on that Go toolchain,
#                                        # fetched through GOTOOLCHAIN: the go.mod minimum
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true
if ! command -v redis-server >/dev/null 2>&1 && [ -z "${REDIS_SERVER:-}" ]; then
	echo "redis-server not found: apt-get install -y redis-server" >&2
	exit 1
fi
if [ $# -gt 0 ]; then
	export GOTOOLCHAIN="$1"
	go version
	go vet ./...
	go test ./...
	exit 0
fi
go mod tidy -diff
go vet ./...
if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; fi
go test -race ./...
