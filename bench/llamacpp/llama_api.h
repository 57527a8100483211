// The few declarations of llama.cpp's C API that llama_tg.c and llama_logits.c use. node-llama-cpp's prebuilt
// libraries ship no headers; parameter structs are passed as oversized buffers, filled by the library's own
// *_default_params, and each program checks the fields it changes against their known defaults first.
#include <stdint.h>

typedef struct { char bytes[1024]; } params; // larger than any of the library's parameter structs
typedef struct {
    int32_t n_tokens;
    int32_t *token;
    float *embd;
    int32_t *pos;
    int32_t *n_seq_id;
    int32_t **seq_id;
    int8_t *logits;
} llama_batch;

void ggml_backend_load_all_from_path(const char *dir);
void llama_backend_init(void);
params llama_model_default_params(void);
params llama_context_default_params(void);
void *llama_model_load_from_file(const char *path, params p);
void *llama_init_from_model(void *model, params p);
llama_batch llama_batch_get_one(int32_t *tokens, int32_t n);
int32_t llama_decode(void *ctx, llama_batch batch);
