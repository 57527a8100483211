#!/usr/bin/env bash
# Tokenizes whole corpora with lowbit and with llama.cpp's llama_tokenize, line by line, for every vocabulary in
# ../shared/models/gguf-vocab that both read, and prints per vocabulary and corpus: lines, llama.cpp's token count,
# and the lines whose ids differ.
#
#   bench/llamacpp/tokenize-compare.sh [VOCAB ...]     (default: every vocabulary lowbit reads)
#
# llama.cpp comes from node-llama-cpp's prebuilt libraries (compare.sh fetches them into target/llamacpp).
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=../shared
WORK=target/llamacpp
LIB=$WORK/package/bins/linux-x64
[ -f "$LIB/libllama.v0.5.0.so" ] || { echo "run bench/llamacpp/compare.sh once first: it fetches llama.cpp's libraries" >&2; exit 1; }
gcc -O2 -o "$WORK/llama_tok" bench/llamacpp/llama_tok.c -L"$LIB" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$LIB"
./lowbit --version > /dev/null # builds lowbit when its sources changed
. scripts/jdk.sh
lowbit_find_jdk
VOCABS=("$@")
[ ${#VOCABS[@]} -gt 0 ] || VOCABS=(llama-spm phi-3 gpt-2 falcon mpt starcoder refact deepseek-coder deepseek-llm llama-bpe qwen2 command-r qwen35 gemma-4)
CORPORA=("$SHARED/data/wikitext-2-raw/wiki.test.raw" "$SHARED/data/tinyshakespeare/input.txt")
printf '%-16s %-12s %8s %10s %8s\n' vocabulary corpus lines tokens differ
for v in "${VOCABS[@]}"; do
  for c in "${CORPORA[@]}"; do
    gguf="$SHARED/models/gguf-vocab/ggml-vocab-$v.gguf"
    LLAMA_CPU_DIR=$LIB "$WORK/llama_tok" "$gguf" "$c" 2> /dev/null > "$WORK/tok-llama.txt"
    "$LOWBIT_JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp cli/target/lowbit.jar bench/llamacpp/TokenizeLines.java "$gguf" "$c" \
      2> /dev/null > "$WORK/tok-lowbit.txt"
    lines=$(wc -l < "$WORK/tok-llama.txt")
    tokens=$(wc -w < "$WORK/tok-llama.txt")
    differ=$(paste -d '|' "$WORK/tok-llama.txt" "$WORK/tok-lowbit.txt" | awk -F'|' '$1 != $2' | wc -l)
    printf '%-16s %-12s %8d %10d %8d\n' "$v" "$(basename "$(dirname "$c")")" "$lines" "$tokens" "$differ"
  done
done
