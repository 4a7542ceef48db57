"""Think time of each client in bench/vs-vllm-concurrent.sh's simultaneous runs: for every request,
the time from the latest end of one of the same client's requests before its start to that start
(a closed loop starts a request as one ends; gaps of 0.5 s or more are not such a start and are
left out). vLLM's client: end = its last token chunk's stamp (start_times + latencies; its
[DONE] is not stamped); loadgen: end = start + e2e_ms (the response's last byte, [DONE]).

Why: a client that sends its next request later after the same engine step could catch a later
step than the other, and so see a different TTFT on the server's side too, which the server's
histogram (both clients mixed) cannot show; this says how far apart the clients' sends are.

    python3 bench/concurrent-think.py RESULT_DIR...
"""
import bisect
import collections
import glob
import json
import os
import statistics
import sys

LONGEST = 0.5


def vllm_requests(path):
    d = json.load(open(path))
    return [(s, s + l) for s, l, e in zip(d["start_times"], d["latencies"], d["errors"]) if not e]


def loadgen_requests(path):
    rows = (json.loads(line) for line in open(path))
    return [(r["start"], r["start"] + r["e2e_ms"] / 1e3) for r in rows if r["outcome"] == "success"]


def thinks(requests):
    ends = sorted(end for _, end in requests)
    out = []
    for start, _ in requests:
        j = bisect.bisect_right(ends, start) - 1
        if j >= 0 and start - ends[j] < LONGEST:
            out.append(1e3 * (start - ends[j]))
    return out


def main():
    found = collections.defaultdict(list)
    for directory in sys.argv[1:]:
        for path in sorted(glob.glob(f"{directory}/vllm-*.json")):
            name = os.path.basename(path)[len("vllm-"):-len(".json")]
            other = f"{directory}/loadgen-{name}.jsonl"
            if not os.path.exists(other):
                continue
            cell = name.rsplit("-", 1)[0]
            found[(cell, "vllm bench serve")] += thinks(vllm_requests(path))
            found[(cell, "loadgen")] += thinks(loadgen_requests(other))
    print("| cell | client | starts | think median ms | mean | p90 | max |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (cell, who), values in sorted(found.items()):
        values.sort()
        n = len(values)
        if n:
            print(f"| {cell} | {who} | {n} | {values[n // 2]:.3f} | {statistics.fmean(values):.3f} |"
                  f" {values[int(0.9 * (n - 1))]:.3f} | {values[-1]:.2f} |")


if __name__ == "__main__":
    main()
