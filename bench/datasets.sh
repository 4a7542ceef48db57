#!/usr/bin/env bash
# Preparing a large dataset: a generated 100,000-conversation ShareGPT file (about 460 MB, made
# here by bench/datasets/make_sharegpt.py, never downloaded) loaded, sampled, tokenized with
# loadgen's tokenizer and serialized into request templates, on one core (taskset), release
# build. Target: ready in under 10 s with RSS under 1 GiB. The run then sends every prompt once
# to the bundled echo-server, so the templates are shown to work, and loadgen prints the
# preparation time ("ready in") and keeps it in the result (dataset.preparation_sec).
#
# usage: bench/datasets.sh [COUNT (default 100000)] [TOKENIZER (default the realpeer model's
#        fixture, Tests/Fixtures/Tokenizer/tinyllama.json)]
#   Env: DATASET (default /tmp/loadgen-sharegpt-COUNT.json, kept between runs), CPU (default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
TOKENIZER=${2:-Tests/Fixtures/Tokenizer/tinyllama.json}
DATASET=${DATASET:-/tmp/loadgen-sharegpt-$COUNT.json}
CPU=${CPU:-0}
source bench/common.sh

if [ ! -s "$DATASET" ]; then
  echo "generating $COUNT conversations into $DATASET"
  python3 bench/datasets/make_sharegpt.py "$DATASET" "$COUNT" 0
fi
echo "dataset: $DATASET, $(du -m "$DATASET" | cut -f1) MB, $COUNT conversations; tokenizer $TOKENIZER"

start_echo_server "$BIN/echo-server" --threads 1
for samples in 1000 "$COUNT"; do
  /usr/bin/time -f "%e s wall, %M KiB max RSS" -o "$WORK/time" \
    taskset -c "$CPU" "$BIN/loadgen" run --base-url "$SERVER_URL" --model echo-model --tokenizer "$TOKENIZER" \
      --dataset "sharegpt:$DATASET" -n "$samples" -c 32 -t 1 --json > "$WORK/result.json" 2> "$WORK/stderr" || {
        cat "$WORK/stderr"; exit 1; }
  python3 - "$WORK/result.json" "$WORK/time" "$samples" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
record = result["dataset"]
wall, rss = open(sys.argv[2]).read().strip().split(", ")
rss_mib = int(rss.split()[0]) / 1024
print(f"--num-prompts {int(sys.argv[3]):>7,}: ready in {record['preparation_sec']:.2f} s wall, {record['preparation_cpu_sec']:.2f} s CPU "
      f"({record['entries']:,} conversations read, {record['filtered']:,} filtered, {record['distinct_samples']:,} distinct prompts), "
      f"max RSS {rss_mib:,.0f} MiB, whole process {wall}; {result['succeeded']:,} of {result['requests']:,} requests succeeded")
# On a shared machine the wall time counts other processes' turns: the CPU time is the figure.
ok = record["preparation_cpu_sec"] < 10 and rss_mib < 1024
print("  target (under 10 s of one core, under 1 GiB):", "met" if ok else "NOT met",
      "" if record["preparation_sec"] < 10 else "(wall time over 10 s: the machine is busy, or the target is missed)")
PY
done
