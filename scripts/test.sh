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
# umockdev: the USB driver's tests on an emulated device;
# mosquitto: the external-broker tests start their own on a free port;
# chromium: central/http's dashboard test drives a real headless Chromium
# (/usr/bin/chromium) with chromedp; tzdata: the agent's tests load the
# policy's zone (Asia/Shanghai) from the system's zoneinfo; systemd: the
# unit files in configs/ are checked with systemd-analyze verify.
need_packages gcc libc6-dev pkg-config libusb-1.0-0-dev umockdev libumockdev-dev mosquitto ca-certificates chromium tzdata systemd
export CGO_ENABLED=1

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi
echo "== go vet"
go vet ./...
echo "== pure-Go build (tag nousb, no cgo)"
CGO_ENABLED=0 go vet -tags nousb ./...
echo "== PostgreSQL for central/postgres"
need_postgres
echo "== go test -race"
go test -race -count=1 -timeout 45m "$@" ./...
echo "== usbhid on an emulated USB device (umockdev)"
# The real gousb + libusb path against a umockdev-emulated HID scanner;
# umockdev-wrapper LD_PRELOADs the emulation, which the race detector
# tolerates.
go vet -tags umockdev ./drivers/usbhid/
go test -race -count=1 -tags umockdev -exec umockdev-wrapper ./drivers/usbhid/
