#!/usr/bin/env bash
# Whose TTFT is right, loadgen's or `vllm bench serve`'s? The server is the referee: vLLM's
# /metrics histogram vllm:time_to_first_token_seconds observes every request's time from its
# arrival in the engine (after the API server has parsed, templated and tokenized it) to the
# step that produced its first token. Its _sum and _count deltas over one client's run, with that
# client ALONE on the server, give the server's mean TTFT for exactly that client's requests.
# Client mean TTFT - server mean TTFT is then that client's own overhead plus the API server's
# work before arrival and after the first token (the same for both clients: same server, same
# workload), so the difference between the two clients' overheads is what each client adds.
#
# Interleaved runs, as in bench/vs-vllm.sh (the same flags): per pair, vllm bench serve then
# loadgen, each with /metrics scraped right before and right after it. The count delta must equal
# the client's requests (nothing else may talk to the server meanwhile; the script checks it).
# Also printed per run, from the same deltas: the server's mean queue time (arrival to scheduled)
# and mean prefill time (scheduled to first token), which split the server's TTFT.
#
#   MODEL_DIR=/tmp/tinyllama-120m ../shared/realpeer/serve.sh
#   PRIORITY=-10 PAIRS=4 bash bench/ttft-referee.sh
#   python3 bench/ttft-referee.py RESULT_DIR PAIRS CELL...   # the table again from saved results
#
# The server must already run (started by ../shared/realpeer/serve.sh; this script starts none).
# Env: PAIRS (4), NUM_PROMPTS (50), OUT_LEN (50), CELLS ("chat:4:100 completions:4:100"),
#      PRIORITY (renice the server's process group and run both clients at it, root),
#      MODEL_DIR (/tmp/tinyllama-120m), PORT (18000), VLLM_VENV (/tmp/vllmenv), RESULT_DIR,
#      LOADGEN (a built binary; default: build release), LOADGEN_ARGS (more flags for loadgen),
#      LOOP_LAG=1 (per cell one more vllm bench serve run with bench/vllm-loop-lag.py, which
#      measures the lag of its asyncio event loop: the wait between a callback being ready and run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PAIRS="${PAIRS:-4}"
NUM_PROMPTS="${NUM_PROMPTS:-50}"
OUT_LEN="${OUT_LEN:-50}"
MODEL_DIR="${MODEL_DIR:-/tmp/tinyllama-120m}"
PORT="${PORT:-18000}"
VLLM_VENV="${VLLM_VENV:-/tmp/vllmenv}"
CELLS="${CELLS:-chat:4:100 completions:4:100}"
RESULT_DIR="${RESULT_DIR:-/tmp/ttft-referee-$(date +%Y%m%d-%H%M%S)}"
BASE="http://127.0.0.1:$PORT"
mkdir -p "$RESULT_DIR"

if [[ -z ${LOADGEN:-} ]]; then
  swift build -c release --product loadgen 2>&1 | tail -1
  LOADGEN="$ROOT/.build/release/loadgen"
fi
curl -sf -m 2 "$BASE/v1/models" > /dev/null || { echo "no server at $BASE: start ../shared/realpeer/serve.sh" >&2; exit 1; }
source bench/realpeer-clients.sh

# The same runs as bench/vs-vllm.sh's run_vllm and run_loadgen.
# VLLM_CLI: the vllm command, or the event-loop lag probe around it (LOOP_LAG's extra runs).
VLLM_CLI=("$VLLM_VENV/bin/vllm")
run_vllm() { # endpoint concurrency input seed name
  local backend=openai-chat ep=/v1/chat/completions
  [[ $1 == completions ]] && { backend=openai; ep=/v1/completions; }
  "${NICE[@]}" timeout 900 "${VLLM_CLI[@]}" bench serve --backend "$backend" --base-url "$BASE" --endpoint "$ep" \
    --model tinyllama --tokenizer "$MODEL_DIR" --dataset-name random \
    --random-input-len "$3" --random-output-len "$OUT_LEN" --num-prompts "$NUM_PROMPTS" --ignore-eos \
    --seed "$4" --max-concurrency "$2" --request-rate inf --disable-tqdm --save-detailed \
    --save-result --result-dir "$RESULT_DIR" --result-filename "$5.json" > "$RESULT_DIR/$5.log" 2>&1
}

run_loadgen() { # endpoint concurrency input name
  local backend=openai-chat
  [[ $1 == completions ]] && backend=openai
  "${NICE[@]}" timeout 900 "$LOADGEN" run --base-url "$BASE" --backend "$backend" --model tinyllama \
    --random-input-len "$3" --random-output-len "$OUT_LEN" --num-prompts "$NUM_PROMPTS" \
    --max-concurrency "$2" --ignore-eos --stream --json --requests-out "$RESULT_DIR/$4.jsonl" \
    ${LOADGEN_ARGS:-} > "$RESULT_DIR/$4.json" 2> "$RESULT_DIR/$4.log"
}

scrape() { curl -sf -m 10 "$BASE/metrics" > "$RESULT_DIR/$1.prom"; }
stamp() { echo "$(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"; }

seed=700
for cell in $CELLS; do
  IFS=: read -r endpoint concurrency input <<< "$cell"
  for pair in $(seq 1 "$PAIRS"); do
    seed=$((seed + 1))
    name="$endpoint-$concurrency-$input-$pair"
    echo "  $(stamp) $cell pair $pair: vllm bench serve"
    scrape "vllm-$name.before"; run_vllm "$endpoint" "$concurrency" "$input" "$seed" "vllm-$name"; scrape "vllm-$name.after"
    echo "  $(stamp) $cell pair $pair: loadgen"
    scrape "loadgen-$name.before"; run_loadgen "$endpoint" "$concurrency" "$input" "loadgen-$name"; scrape "loadgen-$name.after"
  done
  if [[ ${LOOP_LAG:-} == 1 ]]; then
    # One more vllm bench serve run with bench/vllm-loop-lag.py's probe on its event loop
    # (refereed too, but not among the pairs: the probe's wakeups are load of their own).
    seed=$((seed + 1))
    name="lag-$endpoint-$concurrency-$input"
    echo "  $(stamp) $cell: vllm bench serve with the event-loop lag probe"
    VLLM_CLI=("$VLLM_VENV/bin/python" "$ROOT/bench/vllm-loop-lag.py")
    scrape "$name.before"
    LAG_OUT="$RESULT_DIR/$name.lag.json" run_vllm "$endpoint" "$concurrency" "$input" "$seed" "$name"
    scrape "$name.after"
    VLLM_CLI=("$VLLM_VENV/bin/vllm")
  fi
done

python3 "$ROOT/bench/ttft-referee.py" "$RESULT_DIR" "$PAIRS" $CELLS
