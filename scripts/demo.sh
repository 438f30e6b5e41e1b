#!/usr/bin/env bash
# The tillsync demo on one machine with embedded defaults: central (with its
# embedded MQTT broker and a SQLite file) and several store agents as
# separate processes, each lane with a serial scanner and card reader on
# pseudo-terminals, simulated cashiers, one store cut off from HQ midway,
# and a summary that checks HQ against the tills (scripts/demo/).
#   scripts/demo.sh [--stores 3] [--lanes 2] [--speed 1] [--duration 60s] [--seed 1]
# Runs until Ctrl-C (or --duration), then checks and stops everything.
# Everything lives in a temporary folder (KEEP=1 keeps it: logs, databases).
# Works as root on a fresh Debian 12 machine with Go 1.26.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
# tzdata: the policy's day boundaries are in Asia/Shanghai.
need_packages ca-certificates tzdata

work=$(mktemp -d /tmp/tillsync-demo.XXXXXX)
cleanup() {
  if [ "${KEEP:-}" = 1 ]; then echo "demo files kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "== building tillsync-agent, tillsync-central and the demo"
# Pure Go (tag nousb: no USB HID drivers, which need cgo and libusb).
CGO_ENABLED=0 go build -tags nousb -o "$work/bin/" ./agent/cmd/tillsync-agent ./central/cmd/tillsync-central ./scripts/demo
# The demo handles Ctrl-C itself (the cashiers finish, then the checks run).
trap ':' INT
status=0
"$work/bin/demo" --bins "$work/bin" --dir "$work" "$@" || status=$?
exit "$status"
