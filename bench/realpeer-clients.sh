# The preamble the scripts that run loadgen beside `vllm bench serve` on ../shared/realpeer's
# server share (vs-vllm.sh, vs-vllm-concurrent.sh, ttft-referee.sh); each sources it once the
# server answers:  source bench/realpeer-clients.sh
#
# With PRIORITY set (root), it renices the server's whole process group (API server, engine,
# workers; its leader's PID is in PIDFILE, /tmp/realpeer_vllm.pid by default) and sets NICE so
# that both clients run at the same niceness: on a host shared with other work this narrows the
# spread of the runs. Without PRIORITY, NICE is empty. It also keeps vLLM's client offline (no
# model hub, no usage report) with realpeer's caches.
NICE=()
if [[ -n ${PRIORITY:-} ]]; then
  group=$(ps -o pgid= -p "$(cat "${PIDFILE:-/tmp/realpeer_vllm.pid}")" | tr -d ' ')
  renice -n "$PRIORITY" -g "$group" > /dev/null
  NICE=(nice -n "$PRIORITY")
  echo "server process group $group and both clients at niceness $PRIORITY"
fi

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 VLLM_NO_USAGE_STATS=1
export VLLM_CACHE_ROOT="${VLLM_CACHE_ROOT:-/tmp/realpeer_cache/vllm}" HF_HOME="${HF_HOME:-/tmp/realpeer_cache/hf}"
