#!/usr/bin/env python3
"""Writes a ShareGPT-format JSON file of N generated conversations (standard library only).

The shape is what `vllm bench serve --dataset-name sharegpt` reads: a list of
{"id", "conversations": [{"from": "human"|"gpt", "value": ...}, ...]}. Sizes follow the real
ShareGPT V3 file roughly: 1 to 5 exchanges, user turns of a median ~45 words, answers of a
median ~160 (log-normal), about 4.5 kB per conversation. The text mixes common English words
with made-up ones, punctuation, line breaks, quotes and non-ASCII characters, so the JSON has
escapes (\\n, \\", \\u) as real files do. Deterministic for a given seed.

usage: make_sharegpt.py OUT.json [COUNT (default 100000)] [SEED (default 0)]
"""
import json
import random
import sys

COMMON = ("the of and to a in is you that it he was for on are as with his they I at be this have from or one had "
          "by word but not what all were we when your can said there use an each which she do how their if will up "
          "other about out many then them these so some her would make like him into time has look two more write go "
          "see number no way could people my than first water been call who oil its now find long down day did get "
          "come made may part server model token request latency cache prefix python function value error").split()
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "qua", "bri", "dor", "fen", "gul", "hap", "jin", "mor", "plex"]
EXTRAS = ["café", "naïve", "日本語", "Ελληνικά", "emoji 🚀", "\"quoted\"", "C:\\path\\to", "tab\there", "x = {\"k\": [1, 2]}"]


def sentence(rng, words):
    out = []
    for _ in range(words):
        roll = rng.random()
        if roll < 0.78:
            out.append(rng.choice(COMMON))
        elif roll < 0.97:
            out.append("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
        else:
            out.append(rng.choice(EXTRAS))
    text = " ".join(out)
    # Paragraphs and punctuation, as chat text has.
    pieces = []
    for index, word in enumerate(text.split(" ")):
        pieces.append(word)
        if index % 17 == 16:
            pieces[-1] += "."
        if index % 83 == 82:
            pieces[-1] += "\n\n"
    return " ".join(pieces).replace("\n\n ", "\n\n")


def words(rng, median, sigma=0.9, cap=4000):
    return max(1, min(cap, int(rng.lognormvariate(0, sigma) * median)))


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    rng = random.Random(seed)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("[\n")
        for index in range(count):
            turns = []
            for _ in range(rng.choice([1, 1, 2, 2, 3, 4, 5])):
                turns.append({"from": "human", "value": sentence(rng, words(rng, 45))})
                turns.append({"from": "gpt", "value": sentence(rng, words(rng, 160))})
            if rng.random() < 0.03:
                turns = turns[:1]  # one-turn conversations exist, and are skipped
            entry = {"id": f"gen{index:06d}", "conversations": turns}
            handle.write(json.dumps(entry, ensure_ascii=rng.random() < 0.5))
            handle.write(",\n" if index + 1 < count else "\n")
        handle.write("]\n")


if __name__ == "__main__":
    main()
