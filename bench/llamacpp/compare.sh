#!/usr/bin/env bash
# Decode tokens/s of llama.cpp and lowbit side by side on the same random-weight llama-1b shape, alternated.
#
#   bench/llamacpp/compare.sh [--threads 1,2] [--rounds 2] [--pairs q4_0:int4,iq4_nl:e2m1,iq4_nl:nf4,q2_k:int2,tq2_0:int1] [--avx2] [--prefill]
#
# --prefill measures prompt processing (pp128, as llama-bench -p 128 -n 0) instead of decode (tg64).
# --avx2 runs both sides as on an AVX2-only CPU: llama.cpp from a folder holding only its haswell build, lowbit's
# JVM with -XX:UseAVX=2 (so its kernel choice sees AVX2 and C2 emits no AVX-512).
#
# llama.cpp comes as prebuilt CPU libraries from npm (node-llama-cpp's linux-x64 package, which bundles one
# libggml-cpu per x86 level and loads the best one for this CPU); the model is written by RandomGguf.java and
# quantized by llama.cpp's own quantizer. Work files go to target/llamacpp (about 4 GiB). See README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WORK=$ROOT/target/llamacpp
PACKAGE=@node-llama-cpp/linux-x64@3.22.1
THREADS=1,2
ROUNDS=2
PAIRS=q4_0:int4,iq4_nl:e2m1,iq4_nl:nf4,q2_k:int2,tq2_0:int1
AVX2=0
TEST=tg
while [ $# -gt 0 ]; do
  case $1 in
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --pairs) PAIRS=$2; shift 2 ;;
    --avx2) AVX2=1; shift ;;
    --prefill) TEST=pp; shift ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
declare -A FTYPE=([q4_0]=2 [q2_k]=10 [iq4_nl]=25 [tq2_0]=37 [q4_k_m]=15 [q8_0]=7)
VOCAB=$ROOT/../shared/models/gguf-vocab/ggml-vocab-llama-spm.gguf
[ -f "$VOCAB" ] || { echo "compare.sh: $VOCAB is missing (../shared beside the project)" >&2; exit 1; }
. scripts/jdk.sh
lowbit_find_jdk || exit 1

mkdir -p "$WORK"
LIB=$WORK/package/bins/linux-x64
if [ ! -f "$LIB/libllama.v0.5.0.so" ]; then
  (cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null && tar xzf node-llama-cpp-linux-x64-*.tgz)
fi
TG=$WORK/llama_tg
if [ ! -x "$TG" ] || [ "$TG" -ot bench/llamacpp/llama_tg.c ]; then
  gcc -O2 -o "$TG" bench/llamacpp/llama_tg.c -L"$LIB" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$LIB"
fi
export LLAMA_CPU_DIR=$LIB
if [ "$AVX2" = 1 ]; then
  # ggml loads the best libggml-cpu-* in LLAMA_CPU_DIR: a folder with only the haswell build forces AVX2.
  mkdir -p "$WORK/haswell"
  ln -sf "$LIB/libggml-cpu-haswell.so" "$WORK/haswell/libggml-cpu-haswell.so"
  export LLAMA_CPU_DIR=$WORK/haswell
  export LOWBIT_JAVA_OPTS="${LOWBIT_JAVA_OPTS:-} -XX:UseAVX=2"
fi
F16=$WORK/llama1b-f16.gguf
[ -f "$F16" ] || "$LOWBIT_JAVA_HOME/bin/java" bench/llamacpp/RandomGguf.java "$VOCAB" "$F16"
for pair in ${PAIRS//,/ }; do
  type=${pair%%:*}
  [ -n "${FTYPE[$type]:-}" ] || { echo "compare.sh: unknown llama.cpp type $type" >&2; exit 2; }
  if [ ! -f "$WORK/llama1b-$type.gguf" ]; then
    "$TG" quantize "$F16" "$WORK/llama1b-$type.gguf.tmp" "${FTYPE[$type]}" >"$WORK/quantize-$type.log" 2>&1 \
      || { tail -3 "$WORK/quantize-$type.log" >&2; echo "compare.sh: quantizing to $type failed" >&2; exit 1; }
    mv "$WORK/llama1b-$type.gguf.tmp" "$WORK/llama1b-$type.gguf"
  fi
done
[ -f cli/target/lowbit.jar ] || ./lowbit --version >/dev/null

echo "llama.cpp: $PACKAGE ($(grep -o '"release":"[^"]*"' "$LIB/_nlcBuildMetadata.json")), CPU variant: $("$TG" tg "$WORK/llama1b-${PAIRS%%:*}.gguf" 1 0 2>&1 | grep -o 'libggml-cpu-[a-z0-9]*' | head -1)"
echo "lowbit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (modified)')"
for round in $(seq "$ROUNDS"); do
  for t in ${THREADS//,/ }; do
    for pair in ${PAIRS//,/ }; do
      type=${pair%%:*}; format=${pair#*:}
      size=$(( $(stat -c %s "$WORK/llama1b-$type.gguf") / 1048576 ))
      l=$("$TG" "$TEST" "$WORK/llama1b-$type.gguf" "$t" 3 2>/dev/null | awk '{printf "%s ", $3}')
      echo "round $round, $t thread(s), $TEST: llama.cpp $type ($size MiB): $l"
      if [ "$TEST" = pp ]; then lengths=(-p 128 -n 0); row=pp128; else lengths=(-p 0 -n 64); row=tg64; fi
      b=$(./lowbit bench --synthetic llama-1b --format "$format" "${lengths[@]}" -t "$t" -r 3 2>/dev/null | grep "$row" | awk -F'|' '{gsub(/ +/, " ", $4); gsub(/ +/, " ", $8); print $8 "(" $4 ")"}')
      echo "round $round, $t thread(s), $TEST: lowbit $format: $b"
    done
  done
done
