#!/usr/bin/env bash
# loadgen's tokenizer against Hugging Face tokenizers, same tokenizer.json, same text, one thread.
#
# For each tokenizer: MB/s encoded by loadgen (bench/tokenizer-speed, release-built) and by
# tokenizers in Python (bench/tokenizer/hf_speed.py), interleaved REPEATS times; prints the
# medians and their ratio (target: loadgen >= 0.5x tokenizers) and checks both counted the same
# tokens. Then times building 10,000 prompts of exactly 2,048 tokens (target: under 10 s) with
# the realpeer model's tokenizer. The text is Python's own documentation and sources, cut into
# prompt-sized chunks of about CHUNK bytes at line ends. This host is shared: only figures
# measured side by side, on a quiet machine, mean anything.
#
# usage: bench/tokenizer.sh [REPEATS (default 3)] [TOKENIZERS (default: tinyllama llama3 llama2 qwen2)]
#   TOKENIZERS are fixture names (Tests/Fixtures/Tokenizer/NAME.json) or paths.
#   Env: CHUNK (default 8192), PROMPTS (10000), PROMPT_TOKENS (2048), VENV (/tmp/tokvenv).
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
TOKENIZERS=${2:-"tinyllama llama3 llama2 qwen2"}
CHUNK=${CHUNK:-8192}
PROMPTS=${PROMPTS:-10000}
PROMPT_TOKENS=${PROMPT_TOKENS:-2048}
VENV=${VENV:-/tmp/tokvenv}

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import tokenizers" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r bench/tokenizer/requirements.txt
fi
swift build -c release --product tokenizer-speed >/dev/null
BIN=$(swift build -c release --show-bin-path)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$VENV/bin/python" - "$WORK/text.txt" <<'PY'
import os, sys, sysconfig
lib = sysconfig.get_paths()["stdlib"]
parts = [os.path.join(lib, "pydoc_data", "topics.py")] + [os.path.join(lib, name) for name in ("typing.py", "argparse.py", "difflib.py", "inspect.py")]
with open(sys.argv[1], "wb") as out:
    for path in parts:
        with open(path, "rb") as handle:
            out.write(handle.read())
PY

field() { sed -n "s|.*$1=\([^ ]*\).*|\1|p"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "text: $(wc -c < "$WORK/text.txt") bytes in chunks of ~$CHUNK, $REPEATS interleaved runs, medians"
printf "%-12s %14s %14s %8s %10s\n" tokenizer "loadgen MB/s" "tokenizers MB/s" ratio tokens
for name in $TOKENIZERS; do
  path=$name
  [ -e "$path" ] || path="Tests/Fixtures/Tokenizer/$name.json"
  : > "$WORK/ours"; : > "$WORK/theirs"
  for _ in $(seq "$REPEATS"); do
    "$BIN/tokenizer-speed" encode "$path" "$WORK/text.txt" "$CHUNK" 3 > "$WORK/ours.line"
    "$VENV/bin/python" bench/tokenizer/hf_speed.py "$path" "$WORK/text.txt" "$CHUNK" 3 > "$WORK/theirs.line"
    field "MB/s" < "$WORK/ours.line" >> "$WORK/ours"
    field "MB/s" < "$WORK/theirs.line" >> "$WORK/theirs"
  done
  ours_tokens=$(field tokens < "$WORK/ours.line")
  theirs_tokens=$(field tokens < "$WORK/theirs.line")
  [ "$ours_tokens" = "$theirs_tokens" ] || { echo "$name: token counts differ: loadgen $ours_tokens, tokenizers $theirs_tokens" >&2; exit 1; }
  ours=$(median < "$WORK/ours")
  theirs=$(median < "$WORK/theirs")
  printf "%-12s %14.1f %14.1f %7.2fx %10s\n" "$name" "$ours" "$theirs" "$(echo "$ours / $theirs" | bc -l)" "$ours_tokens"
done

TINY=Tests/Fixtures/Tokenizer/tinyllama.json
echo
echo "prompts: $PROMPTS of exactly $PROMPT_TOKENS tokens with $TINY (target: under 10 s)"
"$BIN/tokenizer-speed" prompts "$TINY" "$PROMPTS" "$PROMPT_TOKENS"
