// Decode throughput of llama.cpp's libllama, measured as llama-bench's "tg" test does (-p 0 -n 64): after a
// one-token warm-up, each repetition clears the KV cache and decodes 64 tokens one at a time, and reports
// 64 / seconds. "pp" measures prompt processing as llama-bench -p 128 -n 0 does: each repetition clears the cache
// and decodes one batch of 128 tokens. Also quantizes a GGUF with llama.cpp's own quantizer (llama_model_quantize).
//
// Built against the prebuilt CPU libraries of node-llama-cpp's npm package (compare.sh), which ship no headers:
// the few functions used are declared here. Parameter structs are passed as oversized buffers, filled by the
// library's own *_default_params and changed only in fields whose offsets are checked against known defaults.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llama_api.h"

params llama_model_quantize_default_params(void);
uint32_t llama_model_quantize(const char *in, const char *out, const params *p);
void llama_synchronize(void *ctx);
void *llama_get_memory(void *ctx);
void llama_memory_clear(void *memory, int data);

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int32_t *ints(params *p) { return (int32_t *) p->bytes; }

static int usage(void) {
    fprintf(stderr, "usage: llama_tg quantize IN.gguf OUT.gguf LLAMA_FTYPE\n"
                    "       llama_tg tg|pp MODEL.gguf THREADS REPETITIONS\n"
                    "       llama_tg ttft MODEL.gguf THREADS 0   (load, a 6-token prompt, the first token; for coldstart.sh)\n"
                    "LLAMA_CPU_DIR must name the folder of libggml-cpu-*.so\n");
    return 2;
}

float *llama_get_logits_ith(void *ctx, int32_t i);
const void *llama_model_get_vocab(const void *model);
int32_t llama_vocab_n_tokens(const void *vocab);

// What a user waits for before the first token, as llama-simple -n 1 does it: load the model, create a context,
// decode a 6-token prompt, pick the first token greedily. The caller times the whole process.
static int first_token(const char *path, int threads) {
    double t0 = seconds();
    void *model = llama_model_load_from_file(path, llama_model_default_params());
    if (!model) {
        fprintf(stderr, "llama_tg: cannot load %s\n", path);
        return 1;
    }
    params cp = llama_context_default_params();
    int32_t *c = ints(&cp);
    if (c[0] != 512 || c[7] != 4 || c[8] != 4) {
        fprintf(stderr, "llama_tg: unexpected llama_context_params layout\n");
        return 1;
    }
    c[7] = c[8] = threads;
    void *ctx = llama_init_from_model(model, cp);
    double t1 = seconds();
    int32_t tokens[6] = {1, 9038, 2501, 263, 931, 727}; // "<s> Once upon a time there" in the Llama SPM vocabulary
    if (llama_decode(ctx, llama_batch_get_one(tokens, 6))) return 1;
    const float *l = llama_get_logits_ith(ctx, -1);
    int n = llama_vocab_n_tokens(llama_model_get_vocab(model)), best = 0;
    for (int i = 1; i < n; i++) if (l[i] > l[best]) best = i;
    printf("load %.3f s, prompt and first token %.3f s, token %d\n", t1 - t0, seconds() - t1, best);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = getenv("LLAMA_CPU_DIR");
    if (argc != 5 || !dir) return usage();
    ggml_backend_load_all_from_path(dir); // picks the best CPU variant for this machine
    llama_backend_init();

    if (!strcmp(argv[1], "quantize")) {
        params p = llama_model_quantize_default_params();
        // llama_model_quantize_params begins { int32 nthread; enum llama_ftype ftype (default Q8_0 = 7); ... }
        if (ints(&p)[1] != 7) {
            fprintf(stderr, "llama_tg: unexpected llama_model_quantize_params layout (ftype default %d)\n", ints(&p)[1]);
            return 1;
        }
        ints(&p)[0] = 0; // threads: all cores
        ints(&p)[1] = atoi(argv[4]);
        return llama_model_quantize(argv[2], argv[3], &p) == 0 ? 0 : 1;
    }
    if (!strcmp(argv[1], "ttft")) return first_token(argv[2], atoi(argv[3]));
    int prompt = !strcmp(argv[1], "pp");
    if (!prompt && strcmp(argv[1], "tg")) return usage();

    int threads = atoi(argv[3]), reps = atoi(argv[4]), n_gen = 64, n_prompt = 128;
    void *model = llama_model_load_from_file(argv[2], llama_model_default_params());
    if (!model) {
        fprintf(stderr, "llama_tg: cannot load %s\n", argv[2]);
        return 1;
    }
    params cp = llama_context_default_params();
    // This release's llama_context_params: n_ctx 512, n_batch 2048, n_ubatch 512, n_seq_max 1, then two int32s,
    // then n_threads and n_threads_batch (default GGML_DEFAULT_N_THREADS = 4) as int32s 7 and 8.
    int32_t *c = ints(&cp);
    if (c[0] != 512 || c[1] != 2048 || c[2] != 512 || c[7] != 4 || c[8] != 4) {
        fprintf(stderr, "llama_tg: unexpected llama_context_params layout (%d %d %d %d %d)\n", c[0], c[1], c[2], c[7], c[8]);
        return 1;
    }
    c[0] = prompt ? n_prompt : n_gen; // n_ctx, as llama-bench sets it for -p 0 -n 64 / -p 128 -n 0 (rounded up)
    c[7] = c[8] = threads;
    void *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "llama_tg: cannot create a context\n");
        return 1;
    }
    srand(1);
    if (prompt) {
        int32_t tokens[128];
        for (int r = -1; r < reps; r++) { // r = -1: warm-up
            llama_memory_clear(llama_get_memory(ctx), 1);
            for (int i = 0; i < n_prompt; i++) tokens[i] = rand() % 32000;
            double t0 = seconds();
            if (llama_decode(ctx, llama_batch_get_one(tokens, n_prompt))) {
                fprintf(stderr, "llama_tg: decode failed\n");
                return 1;
            }
            llama_synchronize(ctx);
            double dt = seconds() - t0;
            if (r >= 0) printf("pp%d threads=%d %.2f t/s\n", n_prompt, threads, n_prompt / dt);
        }
        return 0;
    }
    for (int r = -1; r < reps; r++) { // r = -1: warm-up, one token
        llama_memory_clear(llama_get_memory(ctx), 1);
        int32_t token = 1;
        int n = r < 0 ? 1 : n_gen;
        double t0 = seconds();
        for (int i = 0; i < n; i++) {
            if (llama_decode(ctx, llama_batch_get_one(&token, 1))) {
                fprintf(stderr, "llama_tg: decode failed\n");
                return 1;
            }
            llama_synchronize(ctx);
            token = rand() % 32000; // llama-bench feeds random tokens too
        }
        double dt = seconds() - t0;
        if (r >= 0) printf("tg%d threads=%d %.2f t/s\n", n_gen, threads, n / dt);
    }
    return 0;
}
