#!/usr/bin/env python3
"""Prints a file's hash as loadgen's results give it (dataset.file_hash; DatasetBytes.contentHash)."""
import sys

M = (1 << 64) - 1


def mix(value):
    z = ((value ^ (value >> 31)) * 0xBF58476D1CE4E5B9) & M
    return z ^ (z >> 29)


data = open(sys.argv[1], "rb").read()
h = 0x6C6F6164_67656E00
words = len(data) // 8
for index in range(words):
    h = mix(h ^ int.from_bytes(data[index * 8:index * 8 + 8], "little"))
h = mix(h ^ int.from_bytes(data[words * 8:], "little"))
h = mix(h ^ len(data))
print(f"{h:016x}")
