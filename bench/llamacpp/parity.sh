#!/usr/bin/env bash
# Records llama.cpp's own logits for the small GGUFs of engine's ParityModels (Gemma 2, Gemma 3, Phi-3, Llama with
# linear RoPE scaling) into engine/src/test/resources/llamacpp-parity/, which LlamaCppParityTest compares lowbit with.
# Run it again after changing ParityModels.
#
#   bench/llamacpp/parity.sh
#
# llama.cpp comes from node-llama-cpp's prebuilt libraries (compare.sh fetches them into target/llamacpp).
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=target/llamacpp
LIB=$WORK/package/bins/linux-x64
OUT=engine/src/test/resources/llamacpp-parity
[ -f "$LIB/libllama.v0.5.0.so" ] || { echo "run bench/llamacpp/compare.sh once first: it fetches llama.cpp's libraries" >&2; exit 1; }
gcc -O2 -o "$WORK/llama_logits" bench/llamacpp/llama_logits.c -L"$LIB" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$LIB"
. scripts/jdk.sh
lowbit_find_jdk
JAVA_HOME=$LOWBIT_JAVA_HOME mvn -o -q -B -DskipTests install -pl engine -am > /dev/null
"$LOWBIT_JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp engine/target/test-classes:engine/target/classes:kernels/target/classes \
  dev.lowbit.engine.format.gguf.ParityModels "$WORK/parity" 2> /dev/null
mkdir -p "$OUT"
for prompt in "$WORK"/parity/*.prompt; do
  m=$(basename "$prompt" .prompt)
  # NAME.prompt: the number of greedy tokens, then the prompt's ids
  LLAMA_CPU_DIR=$LIB "$WORK/llama_logits" "$WORK/parity/$m.gguf" $(cat "$prompt") 2> /dev/null > "$OUT/$m.json"
  echo "$m: $(grep -o '"generated":\[[^]]*\]' "$OUT/$m.json")"
done
