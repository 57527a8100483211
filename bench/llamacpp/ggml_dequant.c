// Golden data for lowbit's GGUF block decoders (engine/src/test/resources/ggml-dequant): for each ggml type below,
// BLOCKS blocks of pseudo-random bytes (fixed seed; the f16 and e8m0 scale fields set to finite values) and the
// floats ggml's own dequantize_row_<type> makes of them, from node-llama-cpp's prebuilt libggml-base.
//
//   ggml_dequant OUTDIR      writes OUTDIR/<type>.blocks and OUTDIR/<type>.values (little-endian f32)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCKS 6

typedef void (*dequant_fn)(const void *x, float *y, int64_t k);
void dequantize_row_q5_0(const void *, float *, int64_t);
void dequantize_row_q5_1(const void *, float *, int64_t);
void dequantize_row_q2_K(const void *, float *, int64_t);
void dequantize_row_q3_K(const void *, float *, int64_t);
void dequantize_row_q4_K(const void *, float *, int64_t);
void dequantize_row_q5_K(const void *, float *, int64_t);
void dequantize_row_q6_K(const void *, float *, int64_t);
void dequantize_row_iq4_nl(const void *, float *, int64_t);
void dequantize_row_iq4_xs(const void *, float *, int64_t);
void dequantize_row_tq1_0(const void *, float *, int64_t);
void dequantize_row_tq2_0(const void *, float *, int64_t);
void dequantize_row_mxfp4(const void *, float *, int64_t);

struct type {
    const char *name;
    int values, bytes;   // per block
    int halves[2];       // byte offsets of f16 scale fields, -1 for none
    dequant_fn fn;
};

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint32_t next(void) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t) (state >> 33);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: ggml_dequant OUTDIR\n");
        return 2;
    }
    struct type types[] = {
        {"q5_0", 32, 22, {0, -1}, dequantize_row_q5_0},
        {"q5_1", 32, 24, {0, 2}, dequantize_row_q5_1},
        {"q2_K", 256, 84, {80, 82}, dequantize_row_q2_K},
        {"q3_K", 256, 110, {108, -1}, dequantize_row_q3_K},
        {"q4_K", 256, 144, {0, 2}, dequantize_row_q4_K},
        {"q5_K", 256, 176, {0, 2}, dequantize_row_q5_K},
        {"iq4_nl", 32, 18, {0, -1}, dequantize_row_iq4_nl},
        {"iq4_xs", 256, 136, {0, -1}, dequantize_row_iq4_xs},
        {"tq1_0", 256, 54, {52, -1}, dequantize_row_tq1_0},
        {"tq2_0", 256, 66, {64, -1}, dequantize_row_tq2_0},
        {"mxfp4", 32, 17, {-1, -1}, dequantize_row_mxfp4},
        {"q6_K", 256, 210, {208, -1}, dequantize_row_q6_K},
    };
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        struct type *ty = &types[t];
        uint8_t *blocks = malloc((size_t) ty->bytes * BLOCKS);
        float *values = malloc(sizeof(float) * ty->values * BLOCKS);
        for (int i = 0; i < ty->bytes * BLOCKS; i++) blocks[i] = (uint8_t) next();
        for (int b = 0; b < BLOCKS; b++) {
            for (int h = 0; h < 2; h++) {
                if (ty->halves[h] < 0) continue;
                // sign, exponent 5..13 (about 2^-10 .. 2^-2), any mantissa: finite, normal
                uint16_t bits = (uint16_t) (((next() & 1) << 15) | ((5 + next() % 9) << 10) | (next() & 0x3FF));
                memcpy(blocks + (size_t) b * ty->bytes + ty->halves[h], &bits, 2);
            }
        }
        ty->fn(blocks, values, (int64_t) ty->values * BLOCKS);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.blocks", argv[1], ty->name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(blocks, ty->bytes, BLOCKS, f) != BLOCKS) return 1;
        fclose(f);
        snprintf(path, sizeof path, "%s/%s.values", argv[1], ty->name);
        f = fopen(path, "wb");
        if (!f || fwrite(values, sizeof(float) * ty->values, BLOCKS, f) != BLOCKS) return 1;
        fclose(f);
        free(blocks);
        free(values);
    }
    return 0;
}
