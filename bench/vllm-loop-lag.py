"""`vllm bench serve` with a probe of its asyncio event loop's lag, for bench/ttft-referee.sh.

vLLM's client takes a request's start stamp (time.perf_counter()) in the coroutine, before
aiohttp has a connection, serialized the JSON and written the bytes; and its chunk stamps when
the loop gets to the chunk, after whatever other callbacks were ready (other streams' chunks,
JSON parsing). Both waits are the loop's lag. The probe is one more task on the same loop that
sleeps PERIOD and notes how late it woke: the lag any callback that became ready at a random
moment would see. It runs only while the benchmark coroutine runs, and prints its statistics to
stderr at the end (mean, median, p90, p99, max, in ms), and to LAG_OUT as JSON when set.

    python bench/vllm-loop-lag.py bench serve ARGS...     (with the venv's python: the vllm CLI's)

The probe costs the client a wakeup per PERIOD (1 ms: about 1,000 a second), so runs with it
are not the refereed ones: bench/ttft-referee.sh runs it as an extra run (LOOP_LAG=1).
"""
import asyncio
import json
import os
import statistics
import sys
import time

import vllm.benchmarks.serve as serve
from vllm.entrypoints.cli.main import main

PERIOD = 0.001
original = serve.benchmark


async def probe(lags):
    while True:
        before = time.perf_counter()
        await asyncio.sleep(PERIOD)
        lags.append(time.perf_counter() - before - PERIOD)


async def benchmark_with_probe(*args, **kwargs):
    lags = []
    task = asyncio.create_task(probe(lags))
    try:
        return await original(*args, **kwargs)
    finally:
        task.cancel()
        if lags:
            ms = sorted(1e3 * lag for lag in lags)
            figures = {"samples": len(ms), "mean_ms": statistics.fmean(ms), "median_ms": ms[len(ms) // 2],
                       "p90_ms": ms[int(0.9 * (len(ms) - 1))], "p99_ms": ms[int(0.99 * (len(ms) - 1))],
                       "max_ms": ms[-1]}
            print("event-loop lag: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                               for k, v in figures.items()), file=sys.stderr)
            if os.environ.get("LAG_OUT"):
                with open(os.environ["LAG_OUT"], "w") as out:
                    json.dump(figures, out)


serve.benchmark = benchmark_with_probe
sys.argv[0] = "vllm"
sys.exit(main())
