#!/usr/bin/env bash
# Wall time from process start to the first generated token, lowbit beside llama.cpp, fresh processes alternated:
# the median, minimum and maximum over the rounds. llama.cpp loads, decodes a 6-token prompt and picks a token
# (`llama_tg ttft`, as llama-simple -n 1); lowbit runs `lowbit generate -p "Once upon a time there" -n 1`
# (the same 6 tokens with the Llama SPM vocabulary) through its launcher.
#
#   bench/llamacpp/coldstart.sh [--rounds N] [--threads T] [--avx2]
#
# Files: the 1B-shaped GGUFs compare.sh makes (Q4_0, Q4_K_M), lowbit's int4 .lowbit of the same shape
# (target/llamacpp/llama1b-int4.lowbit, written here from the F16 GGUF when missing) and a Hugging Face folder of
# the same shape with random bf16 weights (target/llamacpp/llama1b-hf, written by RandomHfFolder.java when missing;
# llama.cpp does not read such folders). The page cache is warm (each file is read once before timing); these
# machines do not let a session drop it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=3 THREADS=2 AVX2=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --avx2) AVX2=1; shift ;;
    *) echo "usage: $0 [--rounds N] [--threads T] [--avx2]" >&2; exit 2 ;;
  esac
done
WORK=target/llamacpp
LIB=$WORK/package/bins/linux-x64
[ -f "$LIB/libllama.v0.5.0.so" ] && [ -f "$WORK/llama1b-q4_0.gguf" ] && [ -f "$WORK/llama1b-q4_k_m.gguf" ] \
  || { echo "run bench/llamacpp/compare.sh once first: it fetches llama.cpp and writes the GGUFs" >&2; exit 1; }
gcc -O2 -o "$WORK/llama_tg" bench/llamacpp/llama_tg.c -L"$LIB" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$LIB"
CPU_DIR=$LIB JAVA_OPTS=""
if [ "$AVX2" = 1 ]; then CPU_DIR=$WORK/haswell; JAVA_OPTS="-XX:UseAVX=2"; fi
INT4=$WORK/llama1b-int4.lowbit
[ -f "$INT4" ] || ./lowbit quantize "$WORK/llama1b-f16.gguf" "$INT4" --bits 4 --sym --group 32 > /dev/null 2>&1
. scripts/jdk.sh
lowbit_find_jdk || exit 1
HF=$WORK/llama1b-hf
[ -d "$HF" ] || "$LOWBIT_JAVA_HOME/bin/java" bench/llamacpp/RandomHfFolder.java ../shared/models/llama2-tokenizer/tokenizer.model "$HF"
for f in "$INT4" "$WORK/llama1b-q4_0.gguf" "$WORK/llama1b-q4_k_m.gguf" "$HF/model.safetensors"; do cat "$f" > /dev/null; done

now() { date +%s.%N; }
declare -A times
run() { # label command...
  local label=$1; shift
  local t0; t0=$(now)
  "$@" > /dev/null 2>&1 || { echo "$label failed" >&2; exit 1; }
  times[$label]="${times[$label]:-} $(echo "$(now) - $t0" | bc)"
}
for r in $(seq "$ROUNDS"); do
  run "llama.cpp q4_0" env LLAMA_CPU_DIR="$CPU_DIR" "$WORK/llama_tg" ttft "$WORK/llama1b-q4_0.gguf" "$THREADS" 0
  run "lowbit .lowbit int4" env LOWBIT_JAVA_OPTS="$JAVA_OPTS" ./lowbit generate -m "$INT4" -p "Once upon a time there" -n 1 --temperature 0 -t "$THREADS"
  run "lowbit gguf q4_0" env LOWBIT_JAVA_OPTS="$JAVA_OPTS" ./lowbit generate -m "$WORK/llama1b-q4_0.gguf" -p "Once upon a time there" -n 1 --temperature 0 -t "$THREADS"
  run "llama.cpp q4_k_m" env LLAMA_CPU_DIR="$CPU_DIR" "$WORK/llama_tg" ttft "$WORK/llama1b-q4_k_m.gguf" "$THREADS" 0
  run "lowbit gguf q4_k_m" env LOWBIT_JAVA_OPTS="$JAVA_OPTS" ./lowbit generate -m "$WORK/llama1b-q4_k_m.gguf" -p "Once upon a time there" -n 1 --temperature 0 -t "$THREADS"
  run "lowbit hf bf16" env LOWBIT_JAVA_OPTS="$JAVA_OPTS" ./lowbit generate -m "$HF" -p "Once upon a time there" -n 1 --temperature 0 -t "$THREADS"
done
echo "wall time to the first token, $ROUNDS rounds, $THREADS threads$([ "$AVX2" = 1 ] && echo ', as AVX2'): median (min - max), seconds"
for label in "llama.cpp q4_0" "llama.cpp q4_k_m" "lowbit .lowbit int4" "lowbit gguf q4_0" "lowbit gguf q4_k_m" "lowbit hf bf16"; do
  echo "${times[$label]}" | tr ' ' '\n' | grep . | sort -n | awk -v l="$label" '{v[NR]=$1} END {printf "%-22s %6.2f (%.2f - %.2f)\n", l, v[int((NR+1)/2)], v[1], v[NR]}'
done
