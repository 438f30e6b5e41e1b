#!/usr/bin/env bash
# Regenerates tillsync.pb.go from tillsync.proto with pinned tools:
# protoc from Debian 12's protobuf-compiler (3.21.12) and protoc-gen-go at
# the version below (the same as google.golang.org/protobuf in go.mod).
set -euo pipefail
cd "$(dirname "$0")"
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_VERSION=3.21.12

if ! command -v protoc >/dev/null || ! protoc --version | grep -q "$PROTOC_VERSION"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
  fi
fi
protoc --version | grep -q "$PROTOC_VERSION" || { echo "need protoc $PROTOC_VERSION (apt-get install protobuf-compiler)" >&2; exit 1; }

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
PATH="$bin:$PATH" protoc --go_out=. --go_opt=paths=source_relative tillsync.proto
echo "generated syncproto/tillsync.pb.go"
