// llama.cpp's own output for a GGUF: runs a prompt, then greedy decoding, and prints as JSON the generated ids and
// the logits after the prompt and after each generated token. For parity.sh, which records them as golden data for
// lowbit's tests (LlamaCppParityTest). One thread, context 64; the prompt goes in as one batch.
// Built against node-llama-cpp's prebuilt libraries like llama_tg.c (no headers: the functions are declared here,
// and the context fields set are checked against their known defaults first).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama_api.h"

const void *llama_model_get_vocab(const void *model);
int32_t llama_vocab_n_tokens(const void *vocab);
float *llama_get_logits_ith(void *ctx, int32_t i);

static void print_logits(const float *l, int n) {
    printf("[");
    for (int i = 0; i < n; i++) printf(i ? ",%.6g" : "%.6g", l[i]);
    printf("]");
}

int main(int argc, char **argv) {
    const char *dir = getenv("LLAMA_CPU_DIR");
    if (argc < 4 || !dir) {
        fprintf(stderr, "usage: llama_logits MODEL.gguf N_GENERATE TOKEN...   (LLAMA_CPU_DIR: the folder of libggml-cpu-*.so)\n");
        return 2;
    }
    ggml_backend_load_all_from_path(dir);
    llama_backend_init();
    void *model = llama_model_load_from_file(argv[1], llama_model_default_params());
    if (!model) {
        fprintf(stderr, "llama_logits: cannot load %s\n", argv[1]);
        return 1;
    }
    params cp = llama_context_default_params();
    int32_t *c = (int32_t *) cp.bytes;
    if (c[0] != 512 || c[1] != 2048 || c[2] != 512 || c[7] != 4 || c[8] != 4) {
        fprintf(stderr, "llama_logits: unexpected llama_context_params layout\n");
        return 1;
    }
    c[0] = 64;
    c[7] = c[8] = 1;
    void *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "llama_logits: cannot create a context\n");
        return 1;
    }
    int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    int n_gen = atoi(argv[2]), n_prompt = argc - 3;
    int32_t *tokens = malloc(sizeof(int32_t) * (n_prompt + n_gen));
    for (int i = 0; i < n_prompt; i++) tokens[i] = atoi(argv[3 + i]);
    if (llama_decode(ctx, llama_batch_get_one(tokens, n_prompt))) {
        fprintf(stderr, "llama_logits: decode failed\n");
        return 1;
    }
    printf("{\"prompt\":[");
    for (int i = 0; i < n_prompt; i++) printf(i ? ",%d" : "%d", tokens[i]);
    printf("],\n\"logits\":[");
    int32_t generated[256];
    for (int g = 0; g <= n_gen && g < 256; g++) {
        const float *l = llama_get_logits_ith(ctx, -1);
        if (g) printf(",\n");
        print_logits(l, n_vocab);
        if (g == n_gen) break;
        int best = 0;
        for (int i = 1; i < n_vocab; i++) if (l[i] > l[best]) best = i;
        generated[g] = best;
        if (llama_decode(ctx, llama_batch_get_one(&generated[g], 1))) {
            fprintf(stderr, "llama_logits: decode failed\n");
            return 1;
        }
    }
    printf("],\n\"generated\":[");
    for (int g = 0; g < n_gen; g++) printf(g ? ",%d" : "%d", generated[g]);
    printf("]}\n");
    return 0;
}
