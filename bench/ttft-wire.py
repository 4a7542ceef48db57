"""TTFT on the wire: each request's time from its first byte on the loopback (the client's POST) to
the first byte of its first SSE event (`data: `) from the server, per client, from a packet capture
of the server's port: `tcpdump -i lo -s 0 --time-stamp-precision=nano -w FILE 'tcp port 18000'`.

Both clients' requests are told apart by their User-Agent (aiohttp's is vllm bench serve's); a
client run is the set of its connections that overlap in time. The capture's stamps are the
kernel's, taken as the packet passes the loopback, so the wire TTFT holds nothing of either client:
a client's mean TTFT - its requests' mean wire TTFT is that client's own overhead (its start stamp
before the first byte left, its first-token stamp after the bytes arrived). In a simultaneous run
(bench/vs-vllm-concurrent.sh) the wire TTFT is the server's TTFT split per client, which the
server's /metrics histogram (both clients mixed) cannot give.

    python3 bench/ttft-wire.py CAPTURE.pcap [RESULT_DIR...]

With RESULT_DIRs, each run is matched to the client result file (vllm-*.json, loadgen-*.json)
written within 30 s after its last packet, and the client's own mean TTFT is shown beside it.
Standard library only; pcap (not pcapng), Ethernet frames (Linux loopback), IPv4.
"""
import glob
import json
import os
import statistics
import struct
import sys
import time


def packets(path):
    """(time s, source port, destination port, SYN without ACK, payload) of every TCP segment with
    a payload or a connection's opening SYN."""
    with open(path, "rb") as f:
        header = f.read(24)
        magic = struct.unpack("<I", header[:4])[0]
        scale = 1e-9 if magic == 0xA1B23C4D else 1e-6
        while True:
            record = f.read(16)
            if len(record) < 16:
                return
            seconds, fraction, captured, _ = struct.unpack("<IIII", record)
            frame = f.read(captured)
            if len(frame) < 34 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            ihl = (ip[0] & 15) * 4
            if ip[9] != 6:
                continue
            total = struct.unpack(">H", ip[2:4])[0]
            tcp = ip[ihl:total]
            if len(tcp) < 20:
                continue
            source, destination = struct.unpack(">HH", tcp[:4])
            offset = (tcp[12] >> 4) * 4
            payload = tcp[offset:]
            opening = tcp[13] & 0x12 == 0x02
            if payload or opening:
                yield seconds + fraction * scale, source, destination, opening, payload


def requests(path, port):
    """Per client connection: its kind and its requests' (sent, first event) times. A connection is
    its client port from its SYN on (ports are reused across runs)."""
    connections = {}
    every = []
    for stamp, source, destination, opening, payload in packets(path):
        if destination == port:
            c = connections.get(source)
            if opening or c is None:
                c = connections[source] = {"kind": None, "requests": [], "open": None, "first": stamp, "last": stamp,
                                           "answered": None, "thinks": []}
                every.append(c)
            c["last"] = stamp
            if payload.startswith(b"POST "):
                c["kind"] = "vllm" if b"aiohttp" in payload else "loadgen"
                c["open"] = [stamp, None]
                c["requests"].append(c["open"])
                if c["answered"] is not None:
                    c["thinks"].append(1e3 * (stamp - c["answered"]))
            elif payload.startswith(b"GET "):
                c["kind"] = c["kind"] or "other"
        elif source == port and destination in connections:
            c = connections[destination]
            c["last"] = stamp
            c["answered"] = stamp
            if c["open"] is not None and c["open"][1] is None and b"data: " in payload:
                c["open"][1] = stamp
                c["open"] = None
    return every


def split(run, path, offset):
    """Per request of the client's result file: (start stamp to its POST on the wire, its first event
    on the wire to the client's first-token stamp), ms. Requests are matched by their start (the
    client's CLOCK_MONOTONIC + offset, the capture's CLOCK_REALTIME): each to the soonest unused POST
    from 2 ms before it on, POSTs within 2 ms of each other by the latest wire first event not after
    the client's own stamp."""
    if path.endswith(".json"):
        d = json.load(open(path))
        if "start_times" not in d:
            return []
        mine = sorted((s, s + t) for s, t, e in zip(d["start_times"], d["ttfts"], d["errors"]) if not e)
    else:
        rows = [json.loads(line) for line in open(path)]
        mine = sorted((r["start"], r["start"] + r["ttft_ms"] / 1e3) for r in rows if r["ttft_ms"] is not None)
    wire = sorted(run["pairs"])
    used = set()
    out = []
    for start, first in mine:
        start, first = start + offset, first + offset
        candidates = [i for i, (sent, event) in enumerate(wire) if i not in used and -0.002 < sent - start < 0.5]
        if not candidates:
            continue
        soonest = min(wire[i][0] for i in candidates)
        tied = [i for i in candidates if wire[i][0] - soonest < 0.002]
        early = [i for i in tied if wire[i][1] <= first + 0.0005]
        i = max(early or tied, key=lambda i: wire[i][1])
        used.add(i)
        out.append((1e3 * (wire[i][0] - start), 1e3 * (first - wire[i][1]), wire[i][0], wire[i][1], 1e3 * (first - start)))
    return out


def runs(connections):
    """Connections of one kind that overlap in time, as one run: (kind, first, last, wire TTFTs ms)."""
    out = []
    for kind in ("vllm", "loadgen"):
        mine = sorted((c for c in connections if c["kind"] == kind), key=lambda c: c["first"])
        current = None
        for c in mine:
            if current is None or c["first"] > current["last"]:
                current = {"kind": kind, "first": c["first"], "last": c["last"], "ttfts": [], "pairs": [], "thinks": []}
                out.append(current)
            current["last"] = max(current["last"], c["last"])
            current["ttfts"] += [1e3 * (first - sent) for sent, first in c["requests"] if first is not None]
            current["pairs"] += [(sent, first) for sent, first in c["requests"] if first is not None]
            current["thinks"] += [t for t in c["thinks"] if t < 500]
    return sorted(out, key=lambda r: r["first"])


def client_mean(directory_files, run):
    """The client's own mean TTFT, ms, from the result file it wrote within 30 s of its run's end."""
    best = None
    for path, kind, mtime in directory_files:
        if kind == run["kind"] and 0 <= mtime - run["last"] <= 30 and (best is None or mtime < best[2]):
            best = (path, kind, mtime)
    if best is None:
        return None, None, None
    d = json.load(open(best[0]))
    mean = d["mean_ttft_ms"] if best[1] == "vllm" else d["ttft_ms"]["mean"]
    detail = best[0] if best[1] == "vllm" else best[0][:-len(".json")] + ".jsonl"
    return os.path.basename(best[0]), mean, detail if os.path.exists(detail) else None


def main():
    capture, directories = sys.argv[1], sys.argv[2:]
    port = int(os.environ.get("PORT", "18000"))
    files = []
    for directory in directories:
        for path in glob.glob(f"{directory}/*.json"):
            base = os.path.basename(path)
            if base.endswith(".lag.json"):
                continue
            kind = "vllm" if base.startswith(("vllm-", "lag-", "other-")) else "loadgen" if base.startswith("loadgen-") else None
            if kind:
                files.append((path, kind, os.path.getmtime(path)))
    # The capture stamps on CLOCK_REALTIME, both clients on CLOCK_MONOTONIC: the offset now (valid
    # while the clock was not stepped since the capture; NTP slewing moves it by a millisecond or so).
    offset = time.time() - time.monotonic()
    print("per client run: wire TTFT = first request byte to first SSE event byte on the loopback; then, per request"
          " (matched by start), the client's start stamp to its POST and the wire's first event to its stamp, ms:"
          " median / mean, and the requests whose stamp came 10 ms or more after the wire; think on the wire = the"
          " previous answer's last byte on the connection to the next POST, median / mean ms")
    print("| run (result file) | client | requests on the wire | wire mean TTFT ms | client mean TTFT ms | client - wire ms |"
          " start to POST | wire to stamp | stamps 10 ms+ late | think on the wire |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    shown_runs = []
    for run in runs(requests(capture, port)):
        if not run["ttfts"]:
            continue
        name, mean, detail = client_mean(files, run)
        wire = statistics.fmean(run["ttfts"])
        shown = f"{mean:.2f} | {mean - wire:+.2f}" if mean is not None else " | "
        per = split(run, detail, offset) if detail else []
        shown_runs.append((run, name, per))
        if per:
            send, receive = [p[0] for p in per], [p[1] for p in per]
            shown += (f" | {statistics.median(send):.2f} / {statistics.fmean(send):.2f} | {statistics.median(receive):.2f} /"
                      f" {statistics.fmean(receive):.2f} | {sum(r >= 10 for r in receive)}/{len(per)}")
        else:
            shown += " | | |"
        thinks = run["thinks"]
        shown += f" | {statistics.median(thinks):.2f} / {statistics.fmean(thinks):.2f}" if thinks else " | "
        print(f"| {name or '?'} | {run['kind']} | {len(run['ttfts'])} | {wire:.2f} | {shown} |")
    simultaneous(shown_runs)


def simultaneous(shown):
    """Runs of the two clients that overlap in time (bench/vs-vllm-concurrent.sh): in their common
    window (the later first POST to the earlier last POST), each client's requests sent and answered
    inside it, matched to its own stamps: the wire TTFT is the server's side of that client alone."""
    rows = []
    for a in shown:
        for b in shown:
            if a[0]["kind"] != "vllm" or b[0]["kind"] != "loadgen" or not a[2] or not b[2]:
                continue
            t0 = max(min(p[2] for p in a[2]), min(p[2] for p in b[2]))
            t1 = min(max(p[2] for p in a[2]), max(p[2] for p in b[2]))
            if t1 <= t0:
                continue
            inside = [[p for p in run[2] if t0 <= p[2] and p[3] <= t1] for run in (a, b)]
            if not all(inside):
                continue
            wire = [statistics.fmean(1e3 * (p[3] - p[2]) for p in side) for side in inside]
            own = [statistics.fmean(p[4] for p in side) for side in inside]
            rows.append(f"| {a[1]} + {b[1]} | {t1 - t0:.1f} | {len(inside[0])} / {len(inside[1])} | {wire[0]:.2f} / {wire[1]:.2f} |"
                        f" {wire[1] / wire[0]:.3f} | {own[0]:.2f} / {own[1]:.2f} | {own[1] / own[0]:.3f} |")
    if rows:
        print("\nboth clients at once: their common window; per client its requests inside it (vLLM / loadgen)")
        print("| runs | window s | requests | wire mean TTFT ms | wire ratio loadgen / vLLM | client mean TTFT ms | client ratio |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
