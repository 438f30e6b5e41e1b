#!/usr/bin/env bash
# Runs every test of tillsync: formatting, vet, the import rules, and all Go
# tests with the race detector, including the end-to-end tests that build
# the real binaries, kill the agent with SIGKILL and restart brokers.
# Works as root on a fresh Debian 12 machine with Go 1.26: it installs what
# the tests need with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
# gcc: cgo and the race detector; libusb + pkg-config: the USB driver;
# mosquitto: the external-broker tests start their own on a free port.
need_packages gcc libc6-dev pkg-config libusb-1.0-0-dev mosquitto ca-certificates
export CGO_ENABLED=1

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi
echo "== go vet"
go vet ./...
echo "== go test -race"
go test -race -count=1 -timeout 45m "$@" ./...
