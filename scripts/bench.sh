#!/usr/bin/env bash
# Runs the speed benchmarks, each next to its raw baseline measured in the
# same run:
#   agent/bolt  BenchmarkCommitSale vs BenchmarkRawBoltCommit (durable sale commit, p50/p99)
#               BenchmarkCommitSaleParallel (group commit across lanes)
#   agent/mqtt  BenchmarkUplink_Drain (10,000 queued sales until all acked) vs BenchmarkRawPublish
#   scripts/e2e BenchmarkBacklogDrain (the real binaries: 10,000 sales recorded offline, then synced to central)
#               BenchmarkBacklogDrain100k (100,000 sales, central on SQLite and on PostgreSQL) vs a raw
#               paho QoS 1 publish to the same broker of batch-sized and sale-sized messages
#               BenchmarkFiftyAgentsPostgres (50 agent processes selling at once into one central on PostgreSQL)
#   drivers     BenchmarkDriver_ScanLatency (serial scan-to-event on a pty, p50/p99),
#               BenchmarkDecode / BenchmarkParseTracks (decoder throughput, allocations)
#   scripts/e2e BenchmarkIdleCPU (agent with two serial and one USB device, nothing scanned)
# Extra arguments go to go test (e.g. -count 5 for benchstat).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
need_packages gcc libc6-dev pkg-config libusb-1.0-0-dev
go test -run '^$' -bench 'Commit|RawBolt|ScanLookup' -benchtime 2000x "$@" ./agent/bolt/
go test -run '^$' -bench 'Uplink_Drain|RawPublish' -benchtime 3x "$@" ./agent/mqtt/
go test -run '^$' -bench 'BacklogDrain$' -benchtime 1x "$@" ./scripts/e2e/
# These need the PostgreSQL that scripts/test.sh sets up (TILLSYNC_TEST_POSTGRES,
# default role postgres on 127.0.0.1:5432); they create and drop their own databases.
go test -run '^$' -bench 'BacklogDrain100k|FiftyAgentsPostgres' -benchtime 1x -timeout 60m "$@" ./scripts/e2e/
go test -run '^$' -bench IdleCPU -benchtime 1x "$@" ./scripts/e2e/
go test -run '^$' -bench 'ScanLatency' -benchtime 5000x "$@" ./drivers/serial/
go test -run '^$' -bench 'Decode|ParseTracks' "$@" ./drivers/
