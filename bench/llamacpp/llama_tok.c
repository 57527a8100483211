// Token ids of llama.cpp's own tokenizer for every line of a text file, one line of ids per line of text
// (add_special and parse_special off: no BOS, special-token text tokenized as text), from a vocabulary-only GGUF.
// For tokenize-compare.sh. Built against node-llama-cpp's prebuilt libraries, which ship no headers: the few
// functions used are declared here, and the one field set (vocab_only) is found by checking its neighbours' defaults.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { char bytes[1024]; } params; // larger than the library's llama_model_params

void llama_backend_init(void);
params llama_model_default_params(void);
void *llama_model_load_from_file(const char *path, params p);
const void *llama_model_get_vocab(const void *model);
int32_t llama_tokenize(const void *vocab, const char *text, int32_t len, int32_t *tokens, int32_t max, _Bool add_special, _Bool parse_special);

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: llama_tok VOCAB.gguf TEXT\n");
        return 2;
    }
    llama_backend_init();
    params p = llama_model_default_params();
    // llama_model_params: 8 pointers/ints up to kv_overrides, then the booleans vocab_only, check_tensors,
    // use_extra_bufts (true by default), no_host, no_alloc at bytes 72..76.
    if (((int32_t *) p.bytes)[4] != -1 || p.bytes[72] != 0 || p.bytes[74] != 1) {
        fprintf(stderr, "llama_tok: unexpected llama_model_params layout\n");
        return 1;
    }
    p.bytes[72] = 1; // vocab_only
    void *model = llama_model_load_from_file(argv[1], p);
    if (!model) return 1;
    const void *vocab = llama_model_get_vocab(model);
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    size_t cap = 1 << 16;
    char *line = malloc(cap);
    int32_t *ids = malloc(sizeof(int32_t) * cap);
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        if (n > 0 && line[n - 1] == '\n') n--;
        ids = realloc(ids, sizeof(int32_t) * (n + 16));
        int32_t count = llama_tokenize(vocab, line, (int32_t) n, ids, (int32_t) n + 16, 0, 0);
        if (count < 0) {
            fprintf(stderr, "llama_tok: line too long\n");
            return 1;
        }
        for (int32_t i = 0; i < count; i++) printf(i ? " %d" : "%d", ids[i]);
        printf("\n");
    }
    return 0;
}
