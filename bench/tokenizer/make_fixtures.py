#!/usr/bin/env python3
"""Train the tokenizer fixtures and write the vectors loadgen's tokenizer tests assert.

Writes Tests/Fixtures/Tokenizer/:
  <name>.json          small tokenizer.json files trained with Hugging Face `tokenizers` on text that
                       ships with Python (stdlib sources, pydoc's documentation topics, and text made by
                       decoding deterministic bytes with Python's CJK/Cyrillic/Greek/Arabic codecs);
                       tinyllama.json is the realpeer model's tokenizer (copied, see --tinyllama)
  strings.txt          the test strings, one JSON string literal per line
  <name>.encode.txt    per string (same line): ids of encode(s, add_special_tokens=False)
  <name>.special.txt   for the first SPECIAL_CASES strings: ids of encode(s, add_special_tokens=True)
  <name>.decode.txt    per line: ids, TAB, decode(ids, skip_special_tokens=False) as a JSON string,
                       TAB, decode(ids, skip_special_tokens=True) as a JSON string
Ids are written as base-32 varints (see encode_ids) to keep the files small.

Usage (the version is pinned so the vectors are reproducible):
    python3 -m venv /tmp/tokvenv && /tmp/tokvenv/bin/pip install -r bench/tokenizer/requirements.txt
    /tmp/tokvenv/bin/python bench/tokenizer/make_fixtures.py [--tinyllama /tmp/tinyllama/tokenizer.json]
"""
import argparse
import glob
import json
import os
import random
import shutil
import sysconfig
import unicodedata

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "Tokenizer")
STRING_COUNT = 10_200
SPECIAL_CASES = 1_000
DECODE_CASES = 1_000
# Fixtures beyond the two per family the tests require are checked on the first strings only,
# to keep the repository small.
EXTRA_FIXTURES = {"roberta": 3_000, "o200k": 3_000}

GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
DEEPSEEK3_PATTERNS = [
    r"\p{N}{1,3}",
    "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
]
O200K_PATTERN = "|".join([
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"\p{N}{1,3}", r" ?[^\s\p{L}\p{N}]+[\r\n/]*", r"\s*[\r\n]+", r"\s+(?!\S)", r"\s+",
])


# --- training text ---------------------------------------------------------------------------------
def stdlib_lines():
    lib = sysconfig.get_paths()["stdlib"]
    lines = []
    for path in sorted(glob.glob(os.path.join(lib, "*.py")))[:120]:
        with open(path, encoding="utf-8", errors="ignore") as handle:
            lines += [line.rstrip("\n") for line in handle if line.strip()]
    return lines


def documentation_lines():
    from pydoc_data import topics
    lines = []
    for name in sorted(topics.topics):
        lines += [line for line in topics.topics[name].split("\n") if line.strip()]
    return lines


def codec_text(rng, codec, lead, trail, count):
    """Characters of a script: double-byte (or single-byte) codes decoded with Python's codec."""
    out = []
    for _ in range(count):
        word = []
        for _ in range(rng.randint(1, 8)):
            raw = bytes([rng.choice(lead), rng.choice(trail)]) if trail else bytes([rng.choice(lead)])
            word.append(raw.decode(codec, errors="ignore"))
        out.append("".join(word))
    return out


def multilingual_lines(rng):
    scripts = [
        ("gb2312", list(range(0xB0, 0xD8)), list(range(0xA1, 0xFF))),
        ("euc_jp", list(range(0xA4, 0xA6)), list(range(0xA1, 0xF4))),
        ("euc_jp", list(range(0xB0, 0xD0)), list(range(0xA1, 0xFF))),
        ("euc_kr", list(range(0xB0, 0xC9)), list(range(0xA1, 0xFF))),
        ("cp1251", list(range(0xC0, 0x100)), None),
        ("iso8859_7", list(range(0xC1, 0xFA)), None),
        ("cp1256", list(range(0xC1, 0xFB)), None),
    ]
    lines = []
    for codec, lead, trail in scripts:
        words = codec_text(rng, codec, lead, trail, 3000)
        for index in range(0, len(words), 12):
            lines.append(" ".join(words[index:index + 12]))
    return lines


def training_lines():
    rng = random.Random(14)
    lines = stdlib_lines() + documentation_lines() + multilingual_lines(rng)
    emoji = [chr(c) for c in range(0x1F600, 0x1F650)] + [chr(c) for c in range(0x1F300, 0x1F3F0)]
    lines += [" ".join(rng.choice(emoji) for _ in range(6)) for _ in range(300)]
    return lines


# --- fixtures ----------------------------------------------------------------------------------------
def train_byte_level(vocab, specials, pre_tokenizer, normalizer=None, ignore_merges=False):
    tokenizer = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if normalizer is not None:
        tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(training_lines(), trainer=trainer)
    return tokenizer


def byte_tokens():
    return ["<0x%02X>" % b for b in range(256)]


def train_byte_fallback(vocab, specials, limit_alphabet):
    """A SentencePiece-like BPE: words start with '▁', 256 byte tokens, a small alphabet."""
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials + byte_tokens(), show_progress=False,
                                  limit_alphabet=limit_alphabet)
    tokenizer.train_from_iterator(training_lines(), trainer=trainer)
    data = json.loads(tokenizer.to_str())
    # The byte tokens stay in the model's vocabulary only, as in Llama 2's tokenizer.json.
    data["added_tokens"] = [t for t in data["added_tokens"] if t["content"] in specials]
    return data


def set_template(data, bos):
    data["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {bos: {"id": bos, "ids": [token_id(data, bos)], "tokens": [bos]}},
    }


def token_id(data, content):
    for token in data["added_tokens"]:
        if token["content"] == content:
            return token["id"]
    return data["model"]["vocab"][content]


def add_token(data, content, special, normalized, lstrip=False, rstrip=False, single_word=False):
    """Appends an added token with the next free id (it is appended to the vocabulary's end)."""
    ids = [t["id"] for t in data["added_tokens"]] + list(data["model"]["vocab"].values())
    data["added_tokens"].append({"id": max(ids) + 1, "content": content, "single_word": single_word, "lstrip": lstrip,
                                 "rstrip": rstrip, "normalized": normalized, "special": special})


def metaspace_decoder_chain():
    return {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}


def fixtures():
    made = {}

    # GPT-2: ByteLevel with GPT-2's own split, one special token.
    tok = train_byte_level(2000, ["<|endoftext|>"], pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True))
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    made["gpt2"] = json.loads(tok.to_str())

    # RoBERTa-like GPT-2 family: a prefix space on every segment, <mask> swallowing the space before it.
    tok = train_byte_level(1800, ["<s>", "<pad>", "</s>", "<unk>"], pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True))
    data = json.loads(tok.to_str())
    add_token(data, "<mask>", special=True, normalized=False, lstrip=True)
    data["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                              "trim_offsets": True, "add_prefix_space": True}
    made["roberta"] = data

    # Llama 3: its split pattern, then ByteLevel without regex; ignore_merges; BOS template.
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"] + \
               [f"<|reserved_special_token_{i}|>" for i in range(6)]
    tok = train_byte_level(3000, specials, pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]), ignore_merges=True)
    data = json.loads(tok.to_str())
    set_template(data, "<|begin_of_text|>")
    made["llama3"] = data

    # Qwen 2/3: NFC, single-digit split, ChatML specials, non-special added tokens.
    tok = train_byte_level(2500, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)]), normalizer=normalizers.NFC())
    data = json.loads(tok.to_str())
    add_token(data, "<think>", special=False, normalized=False)
    add_token(data, "</think>", special=False, normalized=False)
    add_token(data, "<tool_call>", special=False, normalized=True)
    made["qwen2"] = data

    # DeepSeek V3: three Splits (digits, CJK, main) then ByteLevel; an empty normalizer Sequence.
    specials = ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<｜User｜>", "<｜Assistant｜>"]
    tok = train_byte_level(2500, specials, pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(p), behavior="isolated", invert=False) for p in DEEPSEEK3_PATTERNS] +
        [pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]),
        normalizer=normalizers.Sequence([]))
    data = json.loads(tok.to_str())
    set_template(data, "<｜begin▁of▁sentence｜>")
    made["deepseek3"] = data

    # o200k-style split (case-structured words), with Removed/merged behaviors exercised by a second Split.
    tok = train_byte_level(2000, ["<|endoftext|>", "<|endofprompt|>"], pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(O200K_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.Split(Regex(r"\d"), behavior="merged_with_previous", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)]))
    made["o200k"] = json.loads(tok.to_str())

    # Llama 2 (legacy conversion): Prepend and Replace normalizers, no pre-tokenizer, byte fallback.
    data = train_byte_fallback(2200, ["<unk>", "<s>", "</s>"], limit_alphabet=150)
    data["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
    data["pre_tokenizer"] = None
    data["decoder"] = metaspace_decoder_chain()
    set_template(data, "<s>")
    made["llama2"] = data

    # Mistral (newer conversion): Metaspace pre-tokenizer, prepend first, no split; Metaspace decoder.
    data = train_byte_fallback(2000, ["<unk>", "<s>", "</s>", "[INST]", "[/INST]"], limit_alphabet=120)
    data["normalizer"] = None
    data["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    data["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    for token in data["added_tokens"]:
        if token["content"] in ("[INST]", "[/INST]"):
            token["rstrip"] = token["content"] == "[INST]"
    made["mistral"] = data

    # Metaspace splitting on every word, prepend always, NFC; decoder chain with ByteFallback.
    data = train_byte_fallback(1800, ["<unk>", "<s>", "</s>"], limit_alphabet=200)
    data["normalizer"] = {"type": "NFC"}
    data["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    data["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}]}
    add_token(data, "<sep>", special=True, normalized=True, single_word=True)
    made["metaspace"] = data
    return made


# --- test strings ------------------------------------------------------------------------------------
RANGES = [  # (weight, low, high)
    (30, 0x20, 0x7E), (6, 0xA0, 0x24F), (3, 0x250, 0x36F), (4, 0x370, 0x52F), (3, 0x590, 0x6FF),
    (2, 0x900, 0x0DFF), (2, 0x0E00, 0x0EFF), (2, 0x1100, 0x11FF), (2, 0x1AB0, 0x1DFF), (3, 0x2000, 0x2BFF),
    (2, 0x3000, 0x30FF), (8, 0x4E00, 0x9FFF), (4, 0xAC00, 0xD7A3), (1, 0xE000, 0xE0FF), (1, 0xF900, 0xFFFF),
    (1, 0x10000, 0x1F0FF), (5, 0x1F300, 0x1FAFF), (1, 0x20000, 0x2A6DF), (1, 0xE0000, 0xE01EF),
    (1, 0xF0000, 0x10FFFF), (2, 0x0, 0x1F),
]


def random_scalar(rng):
    total = sum(w for w, _, _ in RANGES)
    pick = rng.uniform(0, total)
    for weight, low, high in RANGES:
        if pick < weight:
            while True:
                c = rng.randint(low, high)
                if not 0xD800 <= c < 0xE000:
                    return chr(c)
        pick -= weight
    return "a"


def all_added_contents(made):
    contents = set()
    for data in made.values():
        contents |= {t["content"] for t in data["added_tokens"]}
    return sorted(contents)


def test_strings(made):
    rng = random.Random(2024)
    code = stdlib_lines()
    prose = documentation_lines()
    multilingual = multilingual_lines(random.Random(7))
    specials = all_added_contents(made) + ["<|endoftext", "<s", "</s >", "<|im_start", "[INST", "<0xFF>", "<0x41>", "<unk>"]
    whitespace = [" ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u200b", "\u2009", "\x0b", "\x0c", "\u0085"]
    emoji = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "🇯🇵", "1️⃣", "❤️", "🏳️‍🌈", "🧑🏿‍🚀", "☕", "🤷‍♀️", "😂😂😂"]
    marks = [chr(c) for c in range(0x300, 0x36F)] + ["\u0e31", "\u0e48", "\u093f", "\u05b7", "\u0651", "\u1ab0", "\u20d7"]
    strings = ["", " ", "a", "\n", "  \n\n  ", "hello world", "Hello, World!", "'s 'S 'ſ 'll 'LL 'Ve ’s", "\ufeffbom", "\x00", "\ufffd", "\U0010ffff"]

    def pick_line(lines):
        line = rng.choice(lines)
        if len(line) > 70:
            start = rng.randint(0, len(line) - 40)
            line = line[start:start + rng.randint(15, 70)]
        return line

    def snippet():
        lines = code if rng.random() < 0.5 else prose
        return "\n".join(pick_line(lines) for _ in range(rng.choice([1, 1, 1, 2])))

    def random_unicode():
        return "".join(random_scalar(rng) for _ in range(rng.randint(1, 10)))

    def whitespace_mix():
        parts = []
        for _ in range(rng.randint(1, 4)):
            parts.append("".join(rng.choice(whitespace) for _ in range(rng.randint(1, 5))))
            if rng.random() < 0.7:
                parts.append(rng.choice(["word", "Tab", "x", "42", "é", "中文", "!", "--", "def", "ok."]))
        return "".join(parts)

    def digits():
        pick = rng.random()
        if pick < 0.4:
            return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 24)))
        if pick < 0.6:
            return f"{rng.randint(0, 10**9):,}.{rng.randint(0, 999)} {rng.random() * 1e6:.3f} 0x{rng.getrandbits(48):x}"
        if pick < 0.8:
            zero = rng.choice([0x660, 0x6F0, 0x966, 0xFF10, 0x1D7CE, 0x30])
            return "".join(chr(zero + rng.randint(0, 9)) for _ in range(rng.randint(1, 12))) + rng.choice(["", " items", "%", "½ⅷ²"])
        return " ".join(str(rng.randint(0, 100000)) for _ in range(rng.randint(2, 5)))

    def with_specials():
        parts = []
        for _ in range(rng.randint(1, 4)):
            choice = rng.random()
            if choice < 0.45:
                parts.append(rng.choice(specials))
            elif choice < 0.7:
                parts.append(rng.choice(whitespace) * rng.randint(1, 3))
            else:
                parts.append(rng.choice(["Hello", "world", " text", "user\n", "中文", "é", "x"]))
        return "".join(parts)

    def combining():
        parts = []
        for _ in range(rng.randint(1, 4)):
            base = rng.choice(["a", "e", "o", "A", "n", "ᄀ", "가", "ㄱ", "ε", "и", "i", "\u0627", "x"])
            parts.append(base + "".join(rng.choice(marks) for _ in range(rng.randint(0, 4))))
            if rng.random() < 0.3:
                parts.append(unicodedata.normalize(rng.choice(["NFD", "NFC"]), rng.choice(["é", "Å", "ñ", "한국어", "ǖ", "ệ", "Ω", "Å"])))
        if rng.random() < 0.3:
            parts.append("".join(chr(c) for c in [0x1100 + rng.randint(0, 18), 0x1161 + rng.randint(0, 20), 0x11A8 + rng.randint(0, 26)]))
        return " ".join(parts) if rng.random() < 0.5 else "".join(parts)

    def long_run():
        return rng.choice([
            lambda: rng.choice("ab!é中 \n") * rng.randint(50, 300),
            lambda: "word" * rng.randint(70, 200),
            lambda: "".join(rng.choice("abcdefghij") for _ in range(rng.randint(70, 300))),
        ])()

    def odd():
        return rng.choice([
            lambda: "".join(chr(rng.randint(0, 0x1F)) for _ in range(rng.randint(1, 10))),
            lambda: "\\x00\\xff\\u00e9 <0x%02X>" % rng.randint(0, 255),
            lambda: "\ufffd\ufffe\uffff\ufeff" + random_unicode(),
            lambda: rng.choice(marks) + "start with a mark",
            lambda: "".join(rng.choice(["<", "|", ">", "s", "/", "▁", "0x", "[", "]"]) for _ in range(rng.randint(1, 20))),
        ])()

    generators = [
        (0.22, snippet), (0.16, random_unicode), (0.08, whitespace_mix), (0.08, digits), (0.06, lambda: " ".join(rng.choice(emoji) for _ in range(rng.randint(1, 5)))),
        (0.07, lambda: (lambda line: line[:rng.randint(4, 24)])(rng.choice(multilingual))), (0.13, with_specials), (0.04, lambda: rng.choice(["I'm", "you'RE", "it'S", "we'll", "They'd", "don't", "o'clock", "'ſ", "’ll"]) + " " + pick_line(prose)),
        (0.08, combining), (0.07, odd), (0.01, long_run),
    ]
    while len(strings) < STRING_COUNT:
        pick = rng.random()
        for weight, generator in generators:
            if pick < weight:
                strings.append(generator())
                break
            pick -= weight
    return strings


# --- vectors -----------------------------------------------------------------------------------------
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def encode_ids(ids):
    """Two base-64 digits per id (high, low): every fixture's ids are below 4,096."""
    assert all(0 <= n < 4096 for n in ids), ids
    return "".join(DIGITS[n >> 6] + DIGITS[n & 63] for n in ids)


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for line in lines:
            handle.write(line + "\n")


def dump(text):
    return json.dumps(text, ensure_ascii=False)


def write_vectors(name, tokenizer, strings):
    strings = strings[:EXTRA_FIXTURES.get(name, len(strings))]
    rng = random.Random(sum(map(ord, name)))
    write_lines(os.path.join(OUT, f"{name}.encode.txt"),
                [encode_ids(tokenizer.encode(s, add_special_tokens=False).ids) for s in strings])
    write_lines(os.path.join(OUT, f"{name}.special.txt"),
                [encode_ids(tokenizer.encode(s, add_special_tokens=True).ids) for s in strings[:SPECIAL_CASES]])
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    lines = []
    for index in range(DECODE_CASES):
        if index % 3 == 0:
            ids = tokenizer.encode(strings[rng.randrange(len(strings))]).ids[: rng.randint(1, 24)]
            if ids and rng.random() < 0.5:
                ids = ids[rng.randint(0, len(ids) - 1):]  # start mid-character
        else:
            # Now and then an id the tokenizer does not have (decode skips it).
            ids = [rng.randrange(min(size + (3 if index % 17 == 0 else 0), 4096)) for _ in range(rng.randint(1, 20))]
        lines.append("\t".join([encode_ids(ids), dump(tokenizer.decode(ids, skip_special_tokens=False)),
                                dump(tokenizer.decode(ids, skip_special_tokens=True))]))
    write_lines(os.path.join(OUT, f"{name}.decode.txt"), lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tinyllama", default="/tmp/tinyllama/tokenizer.json",
                        help="the realpeer model's tokenizer.json (made by ../shared/realpeer/setup.sh)")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    made = fixtures()
    for name, data in made.items():
        with open(os.path.join(OUT, f"{name}.json"), "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
    tiny = os.path.join(OUT, "tinyllama.json")
    if os.path.exists(args.tinyllama):
        shutil.copyfile(args.tinyllama, tiny)
    names = sorted(made) + (["tinyllama"] if os.path.exists(tiny) else [])
    strings = test_strings({**made, **({"tinyllama": json.load(open(tiny, encoding="utf-8"))} if os.path.exists(tiny) else {})})
    write_lines(os.path.join(OUT, "strings.txt"), [dump(s) for s in strings])
    for name in names:
        tokenizer = Tokenizer.from_file(os.path.join(OUT, f"{name}.json"))
        write_vectors(name, tokenizer, strings)
    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as handle:
        handle.write(f"""# Tokenizer fixtures

Generated by `bench/tokenizer/make_fixtures.py` with Hugging Face tokenizers {tokenizers.__version__}; do not edit.
`LoadgenTests/TokenizerVectorTests.swift` asserts every line. Regenerate (after changing the script) with

    python3 -m venv /tmp/tokvenv && /tmp/tokvenv/bin/pip install -r bench/tokenizer/requirements.txt
    /tmp/tokvenv/bin/python bench/tokenizer/make_fixtures.py

Fixtures: {", ".join(names)}: {len(strings)} strings each (the first {min(EXTRA_FIXTURES.values())} for {", ".join(EXTRA_FIXTURES)}),
{SPECIAL_CASES} with special tokens, {DECODE_CASES} decode cases.
Ids are two base-64 digits each (A-Za-z0-9+/, high digit first).
""")
    print("fixtures:", names, "strings:", len(strings))


if __name__ == "__main__":
    main()
