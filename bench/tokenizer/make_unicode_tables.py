#!/usr/bin/env python3
"""Generate Sources/Loadgen/Tokenizer/UnicodeTables.swift.

Why generated, and from what: loadgen's tokenizer must split and normalize text exactly as
Hugging Face `tokenizers` does, and the two Unicode engines inside `tokenizers` are not the
Swift standard library's:
  * Split patterns run on Oniguruma, whose character classes (\\p{L}, \\s, \\w, scripts) follow
    its own Unicode version. The classes are therefore *probed from tokenizers itself*: every
    scalar is run through a Split pre-tokenizer per class, so the table is what Oniguruma
    matches, whatever its Unicode version.
  * The NFC normalizer is unicode-normalization-alignments 0.1.12 (Unicode 9.0). Its data is
    taken from Python's unicodedata (a newer Unicode), then every combining class and
    decomposition is probed through tokenizers' NFC: marks it does not know are dropped.
    The result is checked against tokenizers' NFC on random strings before it is written.

Run with a Python that has `tokenizers` (pinned in bench/tokenizer/requirements.txt):
    python3 -m venv /tmp/tokvenv && /tmp/tokvenv/bin/pip install -r bench/tokenizer/requirements.txt
    /tmp/tokvenv/bin/python bench/tokenizer/make_unicode_tables.py
"""
import os
import random
import sys
import unicodedata as ud

import tokenizers
from tokenizers import Regex, normalizers, pre_tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Sources", "Loadgen", "Tokenizer", "UnicodeTables.swift")

SCALARS = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
ALL_TEXT = "".join(map(chr, SCALARS))

# The order is the raw value of GeneralCategory in UnicodeProperties.swift.
CATEGORIES = "Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co Cn".split()
SCRIPTS = ["Han", "Hiragana", "Katakana", "Hangul"]


def matched_by(pattern, haystack=ALL_TEXT):
    """The scalars of `haystack` that the Oniguruma pattern matches (one scalar at a time)."""
    split = pre_tokenizers.Split(Regex(pattern), behavior="removed")
    kept = {ord(ch) for piece, _ in split.pre_tokenize_str(haystack) for ch in piece}
    return {ord(ch) for ch in haystack} - kept


# --- varint text encoding, decoded by UnicodeTables.decode in Swift -------------------------
MORE = "abcdefghijklmnopqrstuvwxyz012345"  # a base-32 digit, more digits follow
LAST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ6789+/"  # the last base-32 digit of a number


def varints(numbers):
    out = []
    for n in numbers:
        assert n >= 0
        while n >= 32:
            out.append(MORE[n & 31])
            n >>= 5
        out.append(LAST[n])
    return "".join(out)


def swift_string(name, doc, text, width=110):
    lines = [text[i:i + width] for i in range(0, len(text), width)] or [""]
    body = "\n".join("        " + line for line in lines)
    return f'    /// {doc}\n    static let {name} = """\n{body}\n        """\n'


def ranges(scalars):
    """Sorted scalars as (start, length) runs."""
    runs = []
    for c in sorted(scalars):
        if runs and runs[-1][0] + runs[-1][1] == c:
            runs[-1][1] += 1
        else:
            runs.append([c, 1])
    return runs


def gap_runs(scalars):
    """(gap from the previous run's end, length) pairs."""
    out, end = [], 0
    for start, length in ranges(scalars):
        out += [start - end, length]
        end = start + length
    return out


# --- character classes --------------------------------------------------------------------------
def character_classes():
    category = {}
    for index, name in enumerate(CATEGORIES):
        for c in matched_by(r"\p{%s}" % name):
            assert c not in category, f"U+{c:04X} in two categories"
            category[c] = index
    assert len(category) == len(SCALARS), "a scalar has no category"
    # Surrogates are not scalars (no text holds them); they get Cs so the runs cover 0...10FFFF.
    surrogate = CATEGORIES.index("Cs")
    runs, previous, length = [], None, 0
    for c in range(0x110001):
        value = None if c == 0x110000 else category.get(c, surrogate)
        if value == previous:
            length += 1
            continue
        if previous is not None:
            runs += [length, previous]
        previous, length = value, 1
    white = matched_by(r"\s")
    letters_marks_digits = {c for c, v in category.items() if CATEGORIES[v][0] in "LM" or CATEGORIES[v] in ("Nd", "Pc")}
    word = matched_by(r"\w")
    assert letters_marks_digits <= word
    scripts = {name: matched_by(r"\p{%s}" % name) for name in SCRIPTS}
    return runs, white, word - letters_marks_digits, scripts


def case_folding():
    """Classes of scalars equal under (?i), as Oniguruma matches one literal scalar."""
    groups = {}
    for c in SCALARS:
        folded = chr(c).casefold()
        if len(folded) == 1:
            groups.setdefault(ord(folded), set()).add(c)
    for c in list(groups):
        groups[c].add(c)
    candidates = [g for g in groups.values() if len(g) > 1]
    haystack = "".join(chr(c) for g in candidates for c in sorted(g))
    classes = []
    for group in candidates:
        representative = min(group)
        found = matched_by("(?i:\\x{%X})" % representative, haystack)
        assert representative in found
        classes.append(sorted(found))
    unique = sorted({tuple(c) for c in classes})
    return unique


# --- NFC as tokenizers does it --------------------------------------------------------------------
def canonical_decomposition(c):
    text = ud.decomposition(chr(c))
    if not text or text.startswith("<"):
        return None
    return [int(part, 16) for part in text.split()]


def nfc_tables():
    reference = normalizers.NFC()
    combining = {c: ud.combining(chr(c)) for c in SCALARS if ud.combining(chr(c))}
    # A mark the reference does not know has class 0 there: probe each one by whether it
    # reorders with a mark of another class after a base that composes with nothing.
    for c in list(combining):
        k = combining[c]
        probe = "\u4e2d" + (chr(c) + "\u0334" if k > 1 else "\u0301" + chr(c))
        if reference.normalize_str(probe) != ud.normalize("NFC", probe):
            del combining[c]
    decomposition = {}
    for c in SCALARS:
        parts = canonical_decomposition(c)
        if parts is None:
            continue
        if normalizers.NFD().normalize_str(chr(c)) == chr(c):
            continue  # unknown to the reference: it does not decompose it
        decomposition[c] = parts
    excluded = set()
    for c, parts in decomposition.items():
        if len(parts) == 2 and combining.get(c, 0) == 0 and combining.get(parts[0], 0) == 0:
            if ud.normalize("NFC", ud.normalize("NFD", chr(c))) != chr(c):
                excluded.add(c)
    return combining, decomposition, excluded


def python_nfc(text, combining, decomposition, excluded):
    """The algorithm of UnicodeNormalization.swift, in Python, to check the tables."""
    SBase, LBase, VBase, TBase, LCount, VCount, TCount = 0xAC00, 0x1100, 0x1161, 0x11A7, 19, 21, 28
    NCount, SCount = VCount * TCount, 19 * 21 * 28

    def decompose(c, out):
        if SBase <= c < SBase + SCount:
            s = c - SBase
            out.append(LBase + s // NCount)
            out.append(VBase + (s % NCount) // TCount)
            if s % TCount:
                out.append(TBase + s % TCount)
        elif c in decomposition:
            for p in decomposition[c]:
                decompose(p, out)
        else:
            out.append(c)

    scalars = []
    for ch in text:
        decompose(ord(ch), scalars)
    # canonical ordering
    i = 0
    while i < len(scalars):
        if combining.get(scalars[i], 0) == 0:
            i += 1
            continue
        j = i
        while j < len(scalars) and combining.get(scalars[j], 0) != 0:
            j += 1
        scalars[i:j] = sorted(scalars[i:j], key=lambda c: combining[c])
        i = j
    compose = {tuple(p): c for c, p in decomposition.items()
               if len(p) == 2 and c not in excluded and combining.get(c, 0) == 0 and combining.get(p[0], 0) == 0}
    def composite(first, second):
        if LBase <= first < LBase + LCount and VBase <= second < VBase + VCount:
            return SBase + ((first - LBase) * VCount + (second - VBase)) * TCount
        if SBase <= first < SBase + SCount and (first - SBase) % TCount == 0 and TBase < second < TBase + TCount:
            return first + (second - TBase)
        return compose.get((first, second))

    out = []
    starter = None
    for c in scalars:
        k = combining.get(c, 0)
        if starter is not None:
            previous = combining.get(out[-1], 0)
            if len(out) - 1 == starter or (previous != 0 and previous < k):
                made = composite(out[starter], c)
                if made is not None:
                    out[starter] = made
                    continue
        if k == 0:
            starter = len(out)
        out.append(c)
    return "".join(map(chr, out))


def check_nfc(combining, decomposition, excluded):
    reference = normalizers.NFC()
    rng = random.Random(9)
    marks = sorted(combining) + [c for c in range(0x300, 0x370)]
    bases = [c for c in decomposition] + list(range(0x41, 0x7B)) + list(range(0x1100, 0x1200)) + list(range(0xAC00, 0xAD00))
    for c in list(decomposition) + sorted(combining):
        for text in (chr(c), "a" + chr(c), ud.normalize("NFD", chr(c))):
            assert python_nfc(text, combining, decomposition, excluded) == reference.normalize_str(text), hex(c)
    for _ in range(200000):
        text = "".join(chr(rng.choice(bases if rng.random() < 0.4 else marks)) for _ in range(rng.randint(1, 6)))
        got = python_nfc(text, combining, decomposition, excluded)
        want = reference.normalize_str(text)
        assert got == want, (text.encode("unicode_escape"), got.encode("unicode_escape"), want.encode("unicode_escape"))


def main():
    category_runs, white, word_extras, scripts = character_classes()
    folds = case_folding()
    combining, decomposition, excluded = nfc_tables()
    check_nfc(combining, decomposition, excluded)

    combining_runs, end = [], 0
    items = sorted(combining.items())
    runs = []
    for c, k in items:
        if runs and runs[-1][0] + runs[-1][1] == c and runs[-1][2] == k:
            runs[-1][1] += 1
        else:
            runs.append([c, 1, k])
    for start, length, k in runs:
        combining_runs += [start - end, length, k]
        end = start + length

    decomposition_numbers, previous = [], 0
    for c in sorted(decomposition):
        parts = decomposition[c]
        decomposition_numbers += [c - previous, len(parts)] + parts
        previous = c

    folds_numbers = []
    for group in folds:
        folds_numbers += [len(group)] + list(group)

    white_ranges = ", ".join(f"0x{s:X}...0x{s + n - 1:X}" for s, n in ranges(white))
    out = [
        "// Generated by bench/tokenizer/make_unicode_tables.py; do not edit.",
        f"// Character classes probed from Hugging Face tokenizers {tokenizers.__version__} (its Oniguruma);",
        f"// normalization data from Python {sys.version.split()[0]}'s unicodedata {ud.unidata_version}, narrowed to what",
        "// tokenizers' NFC (unicode-normalization-alignments, Unicode 9.0) knows and checked against it.",
        "// Numbers are base-32 varints: a digit from MORE means more digits follow, from LAST ends the number,",
        "// least significant digit first (MORE = a-z0-5, LAST = A-Z6-9+/).",
        "",
        "enum UnicodeTables {",
        swift_string("generalCategoryRuns", "(run length, GeneralCategory raw value) pairs covering U+0000...U+10FFFF in order.",
                     varints(category_runs)),
        f"    /// What Oniguruma's \\s matches.\n    static let whiteSpace: [ClosedRange<UInt32>] = [{white_ranges}]\n",
        swift_string("wordOutsideLettersMarksDigits",
                     "(gap, length) runs: scalars Oniguruma's \\w matches beyond L, M, Nd and Pc (Nl, Other_Alphabetic, ZWJ).",
                     varints(gap_runs(word_extras))),
    ]
    for name in SCRIPTS:
        out.append(swift_string(f"script{name}", f"(gap, length) runs: \\p{{{name}}}.", varints(gap_runs(scripts[name]))))
    out += [
        swift_string("caseFoldClasses", "Classes of scalars (?i) treats as one: (count, scalars...) each, sorted.",
                     varints(folds_numbers)),
        swift_string("canonicalCombiningClassRuns", "(gap, length, class) runs of non-zero canonical combining class.",
                     varints(combining_runs)),
        swift_string("canonicalDecompositions",
                     "(delta from the previous scalar, count, scalars...): one level of canonical decomposition.",
                     varints(decomposition_numbers)),
        swift_string("compositionExclusions", "Scalars that decompose to two but never compose back (delta-coded).",
                     varints([b - a for a, b in zip([0] + sorted(excluded), sorted(excluded))])),
        "}",
        "",
    ]
    with open(OUT, "w", encoding="utf-8") as handle:
        handle.write("\n".join(out))
    print(f"wrote {OUT}: {os.path.getsize(OUT)} bytes; {len(category_runs) // 2} category runs, "
          f"{len(combining)} combining marks, {len(decomposition)} decompositions, {len(excluded)} exclusions, "
          f"{len(folds)} case classes")


if __name__ == "__main__":
    main()
