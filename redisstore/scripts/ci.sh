#!/usr/bin/env bash
# CI of the redisstore module. The tests start their own redis-server (from PATH, or
# $REDIS_SERVER) on a free loopback port and kill it at the end; CI=true turns a missing
# binary into a failure instead of a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true
if ! command -v redis-server >/dev/null 2>&1 && [ -z "${REDIS_SERVER:-}" ]; then
	echo "redis-server not found: apt-get install -y redis-server" >&2
	exit 1
fi
go mod tidy -diff
go vet ./...
if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; fi
go test -race ./...
