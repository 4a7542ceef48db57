#!/usr/bin/env bash
# Captures a running server's /metrics text into the test fixtures. Starts nothing: point it at a
# vLLM that is already up (../shared/realpeer/serve.sh) and, for counters and histograms that are
# not all zero, has served some load (../shared/realpeer/bench_vllm.sh, or a loadgen run).
#
# Writes Tests/Fixtures/ServerMetrics/vllm-0.32-realpeer.prom (or OUT), atomically, with two
# comment lines naming the source and time; the parser treats them as comments. The suite's
# "the captured vLLM 0.32 metrics" test reads that file and checks every series loadgen relies on.
#
# usage: bench/capture-vllm-metrics.sh [METRICS_URL (default http://127.0.0.1:18000/metrics)] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${1:-http://127.0.0.1:18000/metrics}
OUT=${2:-Tests/Fixtures/ServerMetrics/vllm-0.32-realpeer.prom}
BASE=${URL%/metrics}

TMP=$(mktemp "$OUT.XXXXXX")
trap 'rm -f "$TMP"' EXIT
VERSION=$(curl -sf -m 5 "$BASE/version" 2>/dev/null || echo '{"version":"unknown"}')
{
  echo "# Captured from $URL with bench/capture-vllm-metrics.sh at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# Server /version: $VERSION"
  curl -sf -m 10 -H 'Accept: text/plain;version=0.0.4' "$URL"
} > "$TMP"
for series in vllm:num_requests_running vllm:generation_tokens_total vllm:time_to_first_token_seconds_bucket; do
  grep -q "^$series" "$TMP" || { echo "no $series in the answer of $URL: not a vLLM metrics endpoint?" >&2; exit 1; }
done
mv "$TMP" "$OUT"
trap - EXIT
echo "wrote $OUT ($(wc -c < "$OUT") bytes, $(grep -vc '^#' "$OUT") samples)"
