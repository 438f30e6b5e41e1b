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
# (/usr/bin/chromium) with chromedp.
need_packages gcc libc6-dev pkg-config libusb-1.0-0-dev umockdev libumockdev-dev mosquitto ca-certificates chromium
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
# central/postgres's tests create and drop their own databases on the server
# at $TILLSYNC_TEST_POSTGRES (default: role postgres, no password, over TCP
# on 127.0.0.1:5432). A machine where that already works is left alone.
# Otherwise this installs and starts Debian's cluster, and — because
# Debian's pg_hba.conf wants a scram password for TCP — creates a dedicated
# role tillsync_test (LOGIN CREATEDB, not superuser, fixed test password)
# through the local peer login and points the tests at it. That touches
# neither pg_hba.conf nor the postgres role; the server listens on
# localhost only, as Debian configures it.
pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if [ -z "${TILLSYNC_TEST_POSTGRES:-}" ]; then
  if ! pg_answers; then
    need_packages postgresql
    # The package's own start-up may already have started it.
    pg_answers || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
    for _ in $(seq 30); do pg_answers && break; sleep 1; done
  fi
  if command -v psql >/dev/null &&
    ! PGCONNECT_TIMEOUT=10 psql -w -Atq "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -c 'SELECT 1' >/dev/null 2>&1; then
    (cd / && su postgres -s /bin/sh -c 'psql -v ON_ERROR_STOP=1 -q' >/dev/null) <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tillsync_test') THEN
    CREATE ROLE tillsync_test;
  END IF;
END $$;
ALTER ROLE tillsync_test LOGIN CREATEDB PASSWORD 'tillsync_test';
SQL
    export TILLSYNC_TEST_POSTGRES="postgres://tillsync_test:tillsync_test@127.0.0.1:5432/postgres?sslmode=disable"
  fi
fi
echo "== go test -race"
go test -race -count=1 -timeout 45m "$@" ./...
echo "== usbhid on an emulated USB device (umockdev)"
# The real gousb + libusb path against a umockdev-emulated HID scanner;
# umockdev-wrapper LD_PRELOADs the emulation, which the race detector
# tolerates.
go vet -tags umockdev ./drivers/usbhid/
go test -race -count=1 -tags umockdev -exec umockdev-wrapper ./drivers/usbhid/
