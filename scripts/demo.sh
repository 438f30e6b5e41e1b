#!/usr/bin/env bash
# The tillsync demo on one machine with embedded defaults: it builds the two
# binaries, starts central (with its embedded MQTT broker and a SQLite file)
# and one store agent, rings up a handful of sales at the till API, and shows
# them arriving at HQ. Everything lives in a temporary folder and stops when
# the script ends (Ctrl+C stops it early).
# Works as root on a fresh Debian 12 machine with Go 1.26.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
need_packages curl ca-certificates

work=$(mktemp -d /tmp/tillsync-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "demo files kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# free_port prints a TCP port on 127.0.0.1 nobody listens on (the usual
# ports may belong to a broker or service already running on this machine).
free_port() {
  local p
  for p in $(seq "$1" $(($1 + 200))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "no free port near $1" >&2; return 1
}
broker_port=$(free_port 18830)
central_port=$(free_port 8090)
agent_port=$(free_port 8080)

echo "== building tillsync-agent and tillsync-central"
# Pure Go (tag nousb: no USB HID drivers, which need cgo and libusb).
CGO_ENABLED=0 go build -tags nousb -o "$work/bin/" ./agent/cmd/tillsync-agent ./central/cmd/tillsync-central
export TILLSYNC_CHAIN_ID=demo

echo "== starting central: embedded broker on 127.0.0.1:$broker_port, HQ API on 127.0.0.1:$central_port"
TILLSYNC_BROKER_LISTEN=127.0.0.1:$broker_port TILLSYNC_HTTP_LISTEN=127.0.0.1:$central_port \
TILLSYNC_DATABASE_PATH=$work/central.db \
  "$work/bin/tillsync-central" run >"$work/central.log" 2>&1 &
pids+=($!)

agent_env=(TILLSYNC_STORE_ID=store-1 TILLSYNC_AGENT_ID=store-1-agent-1 TILLSYNC_LEDGER_PATH=$work/agent.db)
echo "== loading store-1's member cache from a file (configs/members.example.csv)"
env "${agent_env[@]}" "$work/bin/tillsync-agent" members load configs/members.example.csv

echo "== starting the agent of store-1 (till API on 127.0.0.1:$agent_port)"
TILLSYNC_STORE_ID=store-1 TILLSYNC_AGENT_ID=store-1-agent-1 TILLSYNC_LEDGER_PATH=$work/agent.db \
TILLSYNC_API_LISTEN=127.0.0.1:$agent_port TILLSYNC_UPLINK_BROKER_URL=tcp://127.0.0.1:$broker_port \
  "$work/bin/tillsync-agent" run >"$work/agent.log" 2>&1 &
pids+=($!)

wait_http() {
  for _ in $(seq 1 200); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$1 did not answer; logs:" >&2; tail -n 20 "$work"/*.log >&2; return 1
}
wait_http "http://127.0.0.1:$central_port/healthz"
wait_http "http://127.0.0.1:$agent_port/healthz"

echo "== HQ publishes the loyalty policy and the catalog; central sends them to the store"
"$work/bin/tillsync-central" policy publish configs/policy.yaml --db "$work/central.db"
"$work/bin/tillsync-central" catalog publish configs/catalog.example.csv --db "$work/central.db"
held() { curl -fsS "http://127.0.0.1:$agent_port/v1/status" | tr -d ' \n' | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
for _ in $(seq 1 300); do
  [ "$(held catalog)" = 1 ] && [ "$(held policy)" = 1 ] && break
  sleep 0.1
done
[ "$(held catalog)" = 1 ] && [ "$(held policy)" = 1 ] || { echo "the store did not receive HQ's catalog and policy" >&2; tail -n 20 "$work"/*.log >&2; exit 1; }
echo "   store-1 holds catalog version $(held catalog) and policy version $(held policy)"
echo "== HQ's ledger takes over the member's opening balance from the old system"
"$work/bin/tillsync-central" points adjust --card 8800000000017 --points 1800 --reason "opening balance" \
  --id open-M000002 --db "$work/central.db"

echo "== ringing up sales at the till"
sell() {
  curl -fsS -X POST "http://127.0.0.1:$agent_port/v1/sales" -H 'Content-Type: application/json' -d "$1" |
    sed -n 's/.*"receipt_no": "\(.*\)".*/   receipt \1/p; s/.*"total_fen": \([0-9]*\).*/   total \1 fen/p'
}
sell '{"lane":"lane-1","lines":[{"sku":"MILK-1L","name":"Milk 1 L","quantity_milli":2000,"unit_price_fen":599},{"sku":"BREAD","name":"Bread","quantity_milli":1000,"unit_price_fen":450}]}'
sell '{"lane":"lane-1","member_card":"8800123456789","lines":[{"sku":"APPLE","barcode":"2212345012345","name":"Apples (weighed)","quantity_milli":1250,"unit_price_fen":1099}]}'
sell '{"lane":"lane-2","lines":[{"sku":"RICE-5KG","name":"Rice 5 kg","quantity_milli":1000,"unit_price_fen":4590},{"sku":"EGGS-10","name":"Eggs x10","quantity_milli":3000,"unit_price_fen":1280}]}'
sell '{"lane":"lane-2","member_card":"8800987654321","lines":[{"sku":"OIL-5L","name":"Peanut oil 5 L","quantity_milli":1000,"unit_price_fen":8990}]}'
sell '{"lane":"lane-1","lines":[{"sku":"WATER","name":"Water 550 ml","quantity_milli":6000,"unit_price_fen":200}]}'

echo "== a member at lane 3: milk, a weighed bag of apples, the membership card, cash"
lane=http://127.0.0.1:$agent_port/v1/lanes/lane-3
for data in 6901234000016 6901234000016 2112345012506 8800000000017; do
  curl -fsS -X POST "$lane/scan" -d "{\"data\":\"$data\"}" >/dev/null
done
curl -fsS -X POST "$lane/tenders" -d '{"kind":"cash","amount_fen":5000}' >/dev/null
curl -fsS -X POST "$lane/commit" -d '{}' |
  sed -n 's/.*"member_saving_fen": \([0-9]*\),/   member prices saved \1 fen/p; s/.*"change_fen": \([0-9]*\),/   change \1 fen/p; s/.*"points_earned_pending": \([0-9]*\),/   points earned (pending until the return window passes) \1/p; s/.*"balance": \([-0-9]*\),/   points balance as the store knows it \1/p' |
  awk '!seen[$1 $2 $3]++'

echo "== waiting for central to acknowledge every sale"
for _ in $(seq 1 300); do
  depth=$(curl -fsS "http://127.0.0.1:$agent_port/v1/status" | sed -n 's/.*"outbox_depth": \([0-9]*\).*/\1/p')
  [ "$depth" = 0 ] && break
  sleep 0.1
done
"$work/bin/tillsync-agent" status --api-listen "127.0.0.1:$agent_port"

echo "== sales per store at HQ"
"$work/bin/tillsync-central" report sales --db "$work/central.db" 2>/dev/null ||
  curl -fsS "http://127.0.0.1:$central_port/v1/reports/sales-by-store"
[ "$depth" = 0 ] || { echo "sales did not all reach central" >&2; exit 1; }
echo "== the member's points at HQ (what the store showed: the opening balance and the new points, pending until the return window passes)"
"$work/bin/tillsync-central" points balance --card 8800000000017 --db "$work/central.db"
echo "== demo done: HQ's catalog and policy reached the store; 6 sales recorded at the tills reached HQ exactly once"
