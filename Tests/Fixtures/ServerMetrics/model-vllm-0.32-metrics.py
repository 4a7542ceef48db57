#!/usr/bin/env python3
"""Writes vllm-0.32-modelled.prom: the /metrics text a vLLM 0.32 server (V1 engine, one engine,
served name "tinyllama") would serve midway through `bench_vllm.sh` (50 chat requests of
100 + 10 template tokens, 50 output tokens, concurrency 4), without starting vLLM.

It registers, with prometheus_client (the library vLLM serves /metrics with), the series of
vllm/v1/metrics/loggers.py (PrometheusStatLogger) and perf.py with their names, labels, bucket
boundaries (vllm/v1/metrics/buckets.py) and order, in the default registry beside the Python,
process and platform collectors, and instruments a FastAPI app with
prometheus_fastapi_instrumentator as vLLM's api server does, so the text has the same shape,
number formatting, `_created` series and summaries as the real one. The real capture replaces
nothing: it goes next to this file as vllm-0.32-realpeer.prom (bench/capture-vllm-metrics.sh).

Run with the realpeer venv: /tmp/vllmenv/bin/python model-vllm-0.32-metrics.py
"""
import os
import random

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator

rng = random.Random(18)
labels = {"model_name": "tinyllama", "engine": "0"}
names = ["model_name", "engine"]

REQUEST_LATENCY = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
                   120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0]
TTFT = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
        20.0, 40.0, 80.0, 160.0, 640.0, 2560.0]
ITL = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
       20.0, 40.0, 80.0]
ITERATION_TOKENS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]
PARAMS_N = [1, 2, 5, 10, 20]
PREEMPTIONS = [1, 2, 3, 4, 5, 10, 20]
REQUEST_TOKENS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]  # 1-2-5 up to max_model_len 2048

def gauge(name, doc, value, extra=None, extra_names=()):
    g = Gauge(name, doc, names + list(extra_names), multiprocess_mode="mostrecent")
    g.labels(**labels, **(extra or {})).set(value)
    return g

def counter(name, doc, value, extra=None, extra_names=()):
    c = Counter(name, doc, names + list(extra_names))
    c.labels(**labels, **(extra or {})).inc(value)
    return c

def histogram(name, doc, buckets, observations):
    h = Histogram(name, doc, names, buckets=buckets)
    child = h.labels(**labels)
    for value in observations:
        child.observe(value)
    return h

# The workload: 50 requests admitted, 46 finished, 4 running mid-decode (23 tokens each so far).
finished, running = 46, 4
prompt, output = 110, 50
cached = 1600   # prefix-cache hits (tokens): the chat template and a shared system prompt
generated = finished * output + running * 23

# cache_config_info: an info metric as a gauge set to 1 (labels from CacheConfig.__dict__, abridged).
info = {"block_size": "16", "cache_dtype": "auto", "calculate_kv_scales": "False", "cpu_offload_gb": "0",
        "enable_prefix_caching": "True", "gpu_memory_utilization": "0.9", "is_attention_free": "False",
        "num_cpu_blocks": "None", "num_gpu_blocks": "7281", "num_gpu_blocks_override": "None",
        "prefix_caching_hash_algo": "sha256", "sliding_window": "None", "swap_space": "4"}
Gauge("vllm:cache_config_info", "Information of the LLMEngine CacheConfig", list(info) + ["engine"],
      multiprocess_mode="mostrecent").labels(**info, engine="0").set(1)

gauge("vllm:num_requests_running", "Number of requests in model execution batches.", running)
gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", 0)
w = Gauge("vllm:num_requests_waiting_by_reason",
          "Number of waiting requests by reason. Reason labels: 'capacity' = waiting for scheduling capacity; "
          "'deferred' = deferred by transient constraints (LoRA budget, KV transfer, blocked status). "
          "Sum of all reasons equals vllm:num_requests_waiting.", names + ["reason"], multiprocess_mode="mostrecent")
for reason in ("capacity", "deferred"):
    w.labels(**labels, reason=reason).set(0)
s = Gauge("vllm:engine_sleep_state", "Engine sleep state; awake = 0 means engine is sleeping; awake = 1 means engine "
          "is awake; weights_offloaded = 1 means sleep level 1; discard_all = 1 means sleep level 2.",
          names + ["sleep_state"], multiprocess_mode="mostrecent")
for state, value in (("awake", 1), ("weights_offloaded", 0), ("discard_all", 0)):
    s.labels(**labels, sleep_state=state).set(value)
gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", 0.04120313143799478)
counter("vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.", 50 * prompt)
counter("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", cached)
counter("vllm:external_prefix_cache_queries", "External prefix cache queries from KV connector cross-instance cache "
        "sharing, in terms of number of queried tokens.", 0)
counter("vllm:external_prefix_cache_hits", "External prefix cache hits from KV connector cross-instance cache sharing, "
        "in terms of number of cached tokens.", 0)
counter("vllm:mm_cache_queries", "Multi-modal cache queries, in terms of number of queried items.", 0)
counter("vllm:mm_cache_hits", "Multi-modal cache hits, in terms of number of cached items.", 0)
counter("vllm:num_preemptions", "Cumulative number of preemption from the engine.", 0)
counter("vllm:prompt_tokens", "Number of prefill tokens processed.", 50 * prompt)
by_source = Counter("vllm:prompt_tokens_by_source", "Number of prompt tokens by source.", names + ["source"])
for source, value in (("local_compute", 50 * prompt - cached), ("local_cache_hit", cached), ("external_kv_transfer", 0)):
    by_source.labels(**labels, source=source).inc(value)
counter("vllm:prompt_tokens_cached", "Number of cached prompt tokens (local + external).", cached)
tiers = Counter("vllm:prompt_tokens_cached_by_source", "Prefix-cache hit tokens by the cache tier that supplied them: "
                "device (local HBM), host (offloaded to DRAM), disk, p2p (transferred from another vLLM instance) or "
                "external_unspecified. Counted at admission; sums to vllm:prefix_cache_hits + "
                "vllm:external_prefix_cache_hits.", names + ["source"])
for tier in ("device", "host", "p2p", "disk", "external_unspecified"):
    tiers.labels(**labels, source=tier).inc(cached if tier == "device" else 0)
counter("vllm:generation_tokens", "Number of generation tokens processed.", generated)
success = Counter("vllm:request_success", "Count of successfully processed requests.", names + ["finished_reason"])
for reason in ("stop", "length", "abort", "error", "repetition"):
    success.labels(**labels, finished_reason=reason).inc(finished if reason == "length" else 0)
rejections = Counter("vllm:admission_rejections", "Number of admission attempts rejected by a queue limit, by reason.",
                     ["model_name", "reason"])
for reason in ("max_num_queued_reqs", "max_num_queued_tokens"):
    rejections.labels(model_name="tinyllama", reason=reason)

histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.", REQUEST_TOKENS, [prompt] * finished)
histogram("vllm:request_generation_tokens", "Number of generation tokens processed.", REQUEST_TOKENS, [output] * finished)
steps = [rng.choice([4, 4, 4, 3, 114, 224]) for _ in range(640)]
histogram("vllm:iteration_tokens_total", "Histogram of number of tokens per engine_step.", ITERATION_TOKENS, steps)
histogram("vllm:request_max_num_generation_tokens", "Histogram of maximum number of requested generation tokens.",
          REQUEST_TOKENS, [output] * finished)
histogram("vllm:request_params_n", "Histogram of the n request parameter.", PARAMS_N, [1] * finished)
histogram("vllm:request_params_max_tokens", "Histogram of the max_tokens request parameter.", REQUEST_TOKENS,
          [output] * finished)
queue = [rng.uniform(0.0004, 0.03) for _ in range(finished)]
prefill = [rng.uniform(0.03, 0.18) for _ in range(finished)]
decode = [rng.uniform(1.1, 1.5) for _ in range(finished)]
histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", TTFT,
          [q + p + rng.uniform(0.002, 0.006) for q, p in zip(queue, prefill)] + [rng.uniform(0.05, 0.2) for _ in range(running)])
histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", ITL,
          [rng.gauss(0.026, 0.004) for _ in range(generated - 50)])
histogram("vllm:request_time_per_output_token_seconds", "Histogram of time_per_output_token_seconds per request.", ITL,
          [d / (output - 1) for d in decode])
histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", REQUEST_LATENCY,
          [q + p + d + 0.004 for q, p, d in zip(queue, prefill, decode)])
histogram("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", REQUEST_LATENCY, queue)
histogram("vllm:request_inference_time_seconds", "Histogram of time spent in RUNNING phase for request.", REQUEST_LATENCY,
          [p + d for p, d in zip(prefill, decode)])
histogram("vllm:request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request.", REQUEST_LATENCY, prefill)
histogram("vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.", REQUEST_LATENCY, decode)
histogram("vllm:request_num_preemptions", "Histogram of the number of times a request was preempted.", PREEMPTIONS,
          [0] * finished)
histogram("vllm:request_prefill_kv_computed_tokens", "Histogram of new KV tokens computed during prefill "
          "(excluding cached tokens).", REQUEST_TOKENS, [prompt - 32] * finished)
counter("vllm:estimated_flops_per_gpu_total", "Estimated number of floating point operations per GPU "
        "(for Model Flops Utilization calculations).", 1.8712233e12)
counter("vllm:estimated_read_bytes_per_gpu_total", "Estimated number of bytes read from memory per GPU "
        "(for Model Flops Utilization calculations).", 6.0811356e11)
counter("vllm:estimated_write_bytes_per_gpu_total", "Estimated number of bytes written to memory per GPU "
        "(for Model Flops Utilization calculations).", 2.9360128e9)

app = FastAPI()

@app.post("/v1/chat/completions")
def chat():
    return {"ok": True}

@app.get("/v1/models")
def models():
    return {"data": [{"id": "tinyllama"}]}

Instrumentator(excluded_handlers=["/metrics", "/health", "/load", "/ping", "/version", "/server_info"],
               registry=REGISTRY).add().instrument(app).expose(app)
with TestClient(app) as client:
    client.get("/v1/models")
    for _ in range(50):
        client.post("/v1/chat/completions", json={})

text = generate_latest(REGISTRY).decode()
header = ("# Modelled, not captured: model-vllm-0.32-metrics.py registered vLLM 0.32's series (loggers.py) with\n"
          "# prometheus_client and rendered them as vLLM's /metrics would (46 of 50 bench requests finished).\n")
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vllm-0.32-modelled.prom")
with open(path, "w") as out:
    out.write(header + text)
print(f"wrote {path}: {len(text)} bytes")
