"""The table of bench/ttft-referee.sh (its header says why and how): per client and run, the
client's mean TTFT, the server's mean TTFT for the same requests (the _sum and _count deltas of
vllm:time_to_first_token_seconds between the scrapes right before and right after the run), their
difference (the client's overhead plus the API server's own, which both clients share), the
server's queue and prefill means from the same deltas; then per cell and client the medians.

    python3 bench/ttft-referee.py RESULT_DIR PAIRS CELL...   (CELL: endpoint:concurrency:input)
"""
import json
import statistics
import sys

SERIES = {"ttft": "vllm:time_to_first_token_seconds", "queue": "vllm:request_queue_time_seconds",
          "prefill": "vllm:request_prefill_time_seconds"}


def scrape(path):
    """Every _sum and _count of the series above, summed over their label sets."""
    totals = {}
    for line in open(path):
        if line.startswith("#"):
            continue
        name, _, rest = line.partition("{")
        if not rest:
            name, _, rest = line.partition(" ")
        for key, series in SERIES.items():
            for part in ("_sum", "_count"):
                if name == series + part:
                    totals[key + part] = totals.get(key + part, 0.0) + float(line.rsplit(" ", 1)[1])
    return totals


def server(directory, name):
    """The server's mean of each series, in ms, over the run, and its count of TTFTs."""
    before, after = scrape(f"{directory}/{name}.before.prom"), scrape(f"{directory}/{name}.after.prom")
    means = {}
    for key in SERIES:
        count = after[key + "_count"] - before[key + "_count"]
        means[key] = 1e3 * (after[key + "_sum"] - before[key + "_sum"]) / count if count else float("nan")
    means["count"] = int(round(after["ttft_count"] - before["ttft_count"]))
    return means


def client(directory, client_name, name):
    d = json.load(open(f"{directory}/{name}.json"))
    if client_name == "vllm":
        return {"ttft": d["mean_ttft_ms"], "median": d["median_ttft_ms"], "requests": d["completed"] + d.get("failed", 0),
                "ok": d["completed"]}
    return {"ttft": d["ttft_ms"]["mean"], "median": d["ttft_ms"]["p50"], "requests": d["requests"], "ok": d["succeeded"]}


def main():
    directory, pairs, cells = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    print("\nper run: mean TTFT ms of the client and of the server for the same requests (the /metrics deltas"
          " of the run); overhead = client - server; the server's TTFT = its queue + prefill + the rest")
    print("| cell | pair | client | requests (server count) | client mean TTFT | server mean TTFT | overhead |"
          " server queue | server prefill |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    failures = 0
    summary = []
    for cell in cells:
        endpoint, concurrency, inp = cell.split(":")
        overheads = {"vllm": [], "loadgen": []}
        rows = {"vllm": [], "loadgen": []}
        for pair in range(1, pairs + 1):
            for who in ("vllm", "loadgen"):
                name = f"{who}-{endpoint}-{concurrency}-{inp}-{pair}"
                try:
                    c, s = client(directory, who, name), server(directory, name)
                except (OSError, KeyError, ValueError, ZeroDivisionError) as error:
                    print(f"| {cell} | {pair} | {who} | (failed: {error}) | | | | | |")
                    failures += 1
                    continue
                # Only a run the server saw alone is refereed: its count of first tokens is the client's.
                alone = s["count"] == c["requests"] and c["ok"] == c["requests"]
                failures += not alone
                overhead = c["ttft"] - s["ttft"]
                if alone:
                    overheads[who].append(overhead)
                    rows[who].append((c["ttft"], s["ttft"]))
                flag = "" if alone else " NOT ALONE"
                print(f"| {cell} | {pair} | {who} | {c['ok']}/{c['requests']} ({s['count']}){flag} | {c['ttft']:.2f} |"
                      f" {s['ttft']:.2f} | {overhead:+.2f} | {s['queue']:.2f} | {s['prefill']:.2f} |")
        summary.append((cell, overheads, rows))
    print("\nmedians over the pairs (ms): client mean TTFT, server mean TTFT, overhead (client - server);"
          " last column: loadgen's overhead - vLLM's")
    print("| cell | vllm bench serve: client / server / overhead | loadgen: client / server / overhead |"
          " client TTFT ratio loadgen / vLLM | server TTFT ratio | overhead difference |")
    print("|---|---:|---:|---:|---:|---:|")
    for cell, overheads, rows in summary:
        if not rows["vllm"] or not rows["loadgen"]:
            print(f"| {cell} | (no refereed run) | | | | |")
            continue
        med = {who: (statistics.median(r[0] for r in rows[who]), statistics.median(r[1] for r in rows[who]),
                     statistics.median(overheads[who])) for who in rows}
        v, l = med["vllm"], med["loadgen"]
        print(f"| {cell} | {v[0]:.2f} / {v[1]:.2f} / {v[2]:+.2f} | {l[0]:.2f} / {l[1]:.2f} / {l[2]:+.2f} |"
              f" {l[0] / v[0]:.3f} | {l[1] / v[1]:.3f} | {l[2] - v[2]:+.2f} |")
    lag_runs = []
    for cell in cells:
        name = "lag-" + cell.replace(":", "-")
        try:
            c, s, lag = client(directory, "vllm", name), server(directory, name), json.load(open(f"{directory}/{name}.lag.json"))
        except (OSError, KeyError, ValueError):
            continue
        lag_runs.append(f"| {cell} | {c['ttft']:.2f} | {s['ttft']:.2f} | {c['ttft'] - s['ttft']:+.2f} | {lag['mean_ms']:.3f} |"
                        f" {lag['median_ms']:.3f} | {lag['p90_ms']:.3f} | {lag['p99_ms']:.3f} | {lag['max_ms']:.2f} |")
    if lag_runs:
        print("\nvllm bench serve with bench/vllm-loop-lag.py (a 1 ms sleeper on its event loop; its lag = how late it woke), ms")
        print("| cell | client mean TTFT | server mean TTFT | overhead | lag mean | lag median | lag p90 | lag p99 | lag max |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        print("\n".join(lag_runs))
    print(f"\nresults: {directory}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
