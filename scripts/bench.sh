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
#   central     BenchmarkClassify_1M (pyramid, RFM, quadrant, ABC of 1,000,000 members in memory)
#               BenchmarkIngest*MemberStats (central/sqlite, central/postgres: ingest with and without the
#               per-member statistics, same run)
#               BenchmarkClassificationRun_1M (stream 1,000,000 members' statistics, classify, store the run;
#               minutes, most of it seeding: run by hand, see the last line)
# Extra arguments go to go test (e.g. -count 5 for benchstat).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
need_packages gcc libc6-dev pkg-config libusb-1.0-0-dev mosquitto
need_postgres
go test -run '^$' -bench 'Commit|RawBolt|ScanLookup' -benchtime 2000x "$@" ./agent/bolt/
go test -run '^$' -bench 'Uplink_Drain|RawPublish' -benchtime 3x "$@" ./agent/mqtt/
go test -run '^$' -bench 'BacklogDrain$' -benchtime 1x "$@" ./scripts/e2e/
# These create and drop their own databases on the PostgreSQL need_postgres made reachable.
go test -run '^$' -bench 'BacklogDrain100k|FiftyAgentsPostgres' -benchtime 1x -timeout 60m "$@" ./scripts/e2e/
go test -run '^$' -bench IdleCPU -benchtime 1x "$@" ./scripts/e2e/
go test -run '^$' -bench 'ScanLatency' -benchtime 5000x "$@" ./drivers/serial/
go test -run '^$' -bench 'Decode|ParseTracks' "$@" ./drivers/
go test -run '^$' -bench 'Classify_1M' -benchtime 1x "$@" ./central/
go test -run '^$' -bench 'MemberStats' -benchtime 3s "$@" ./central/sqlite/ ./central/postgres/
# By hand (about 2 minutes on PostgreSQL, most of it seeding 12,000,000 statistics rows):
#   go test -run '^$' -bench ClassificationRun_1M -benchtime 1x -timeout 60m ./central/postgres/ ./central/sqlite/
