#!/usr/bin/env bash
# Checks the import rules of DESIGN §2 / STYLE rule 2 (one technology per
# package, agent and central apart, no I/O in the domain roots). The rules
# live in scripts/importcheck; `go test ./...` runs them too.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test -count=1 "$@" ./scripts/importcheck/
