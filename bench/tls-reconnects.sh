#!/usr/bin/env bash
# TLS reconnects: 10,000 connections in a row through the TLS layer (client and server sessions
# in one test process, three in four resumed), alone, with the strict bounds: the process's open
# descriptors unchanged and RSS within 4 MiB afterwards. The suite runs the same test with 2,000
# and bounds loose enough for the tests running beside it.
#
# usage: bench/tls-reconnects.sh [RECONNECTS (default 10000)]
# Needs the `openssl` command (certificates are made per run in a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
RECONNECTS=${1:-10000}

swift build --build-tests >/dev/null
LOADGEN_TLS_ALONE=1 LOADGEN_TLS_RECONNECTS="$RECONNECTS" \
  swift test --skip-build --filter TLSReconnectTests 2>&1 | grep -E "tls reconnects|✔|✘|error"
