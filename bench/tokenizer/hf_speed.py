#!/usr/bin/env python3
"""Hugging Face tokenizers on one thread, the same chunks as bench/tokenizer-speed.

usage: hf_speed.py TOKENIZER_JSON TEXT_FILE [CHUNK_BYTES] [PASSES]
Prints "bytes=B tokens=T seconds=S MB/s=M" for the fastest timed pass (after one warm-up pass).
"""
import os
import sys
import time

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"
from tokenizers import Tokenizer  # noqa: E402


def chunks(data: bytes, approximate: int):
    out, current = [], bytearray()
    for line in data.split(b"\n"):
        current += line + b"\n"
        if len(current) >= approximate:
            out.append(current.decode("utf-8", errors="replace"))
            current = bytearray()
    if current:
        out.append(current.decode("utf-8", errors="replace"))
    return out


def main():
    path, text = sys.argv[1], sys.argv[2]
    chunk_bytes = int(sys.argv[3]) if len(sys.argv) > 3 else 8192
    passes = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    if os.path.isdir(path):
        path = os.path.join(path, "tokenizer.json")
    tokenizer = Tokenizer.from_file(path)
    with open(text, "rb") as handle:
        pieces = chunks(handle.read(), chunk_bytes)
    tokens = sum(len(tokenizer.encode(p, add_special_tokens=False).ids) for p in pieces)
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        count = 0
        for piece in pieces:
            count += len(tokenizer.encode(piece, add_special_tokens=False).ids)
        best = min(best, time.perf_counter() - start)
        assert count == tokens
    total = sum(len(p.encode("utf-8")) for p in pieces)
    print(f"bytes={total} chunks={len(pieces)} tokens={tokens} seconds={best} MB/s={total / best / 1e6}")


if __name__ == "__main__":
    main()
