package dev.lowbit.engine.format.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.RopeStyle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stories260K converted to a Hugging Face folder (rotate-half q/k layout) runs like the llama2.c original. */
class HfModelTest {
    @TempDir Path dir;

    static float[] logits(LlamaModel m, int[] tokens) {
        InferenceState s = m.newState(64, 64);
        m.forward(s, tokens, 0, tokens.length, 0, true);
        return Arrays.copyOf(s.logits(), tokens.length * m.config().vocabSize());
    }

    static void assertClose(float[] a, float[] b, float tolerance) {
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], tolerance, "logit " + i);
    }

    @Test
    void f32SingleFileAndShards() throws Exception {
        Map<String, float[][]> w = HfFolderWriter.stories();
        HfFolderWriter.write(dir.resolve("single"), w, false, 1);
        HfFolderWriter.write(dir.resolve("sharded"), w, false, 3);
        try (LoadedModel o = ModelLoader.load(Golden.MODEL, Golden.TOKENIZER, 1);
             LoadedModel a = ModelLoader.load(dir.resolve("single"), Golden.TOKENIZER, 1);
             LoadedModel b = ModelLoader.load(dir.resolve("sharded"), Golden.TOKENIZER, 1)) {
            assertEquals("safetensors", a.format());
            assertEquals(RopeStyle.ROTATE_HALF, a.model().config().ropeStyle());
            assertTrue(a.model().weights().tiedClassifier());
            int[] prompt = o.tokenizer().encode("Once upon a time, a little dog", true, false);
            float[] expected = logits(o.model(), prompt);
            assertClose(expected, logits(a.model(), prompt), 1e-4f);
            assertClose(logits(a.model(), prompt), logits(b.model(), prompt), 1e-5f); // JIT tiers may sum lanes in another order
        }
    }

    /** A bf16 matrix kept unquantized (quantize --keep) goes into a .lowbit file as f32: the same values, bit for bit. */
    @Test
    void bf16MatricesAreStoredInALowbitFileExactly() throws Exception {
        HfFolderWriter.write(dir.resolve("bf16"), HfFolderWriter.stories(), true, 1);
        Path out = dir.resolve("kept.lowbit");
        try (LoadedModel a = ModelLoader.load(dir.resolve("bf16"), Golden.TOKENIZER, 1)) {
            var w = a.model().weights();
            assertEquals("bf16", w.layers().get(0).wq().typeName());
            dev.lowbit.engine.format.LowbitWriter.write(out, a.model().config(), a.tokenizer(), null, null, w, false);
            try (LoadedModel b = ModelLoader.load(out, null, 1)) {
                var v = b.model().weights();
                assertArrayEquals(w.layers().get(0).wq().readAll(), v.layers().get(0).wq().readAll());
                assertArrayEquals(w.layers().get(4).wDown().readAll(), v.layers().get(4).wDown().readAll());
                int[] prompt = a.tokenizer().encode("The cat sat", true, false);
                assertClose(logits(a.model(), prompt), logits(b.model(), prompt), 1e-5f);
            }
        }
    }

    @Test
    void bf16WeightsComputeWithTheirRoundedValues() throws Exception {
        Map<String, float[][]> w = HfFolderWriter.stories();
        HfFolderWriter.write(dir.resolve("bf16"), w, true, 1);
        w.replaceAll((k, v) -> {
            float[][] r = new float[v.length][];
            for (int i = 0; i < v.length; i++) {
                r[i] = v[i].clone();
                for (int j = 0; j < r[i].length; j++) r[i][j] = Float.intBitsToFloat(Float.floatToIntBits(r[i][j]) & 0xFFFF0000);
            }
            return r;
        });
        HfFolderWriter.write(dir.resolve("rounded"), w, false, 1);
        try (LoadedModel a = ModelLoader.load(dir.resolve("bf16"), Golden.TOKENIZER, 1);
             LoadedModel b = ModelLoader.load(dir.resolve("rounded"), Golden.TOKENIZER, 1)) {
            int[] prompt = a.tokenizer().encode("The cat sat", true, false);
            assertClose(logits(b.model(), prompt), logits(a.model(), prompt), 1e-4f);
        }
    }

    ModelFileException fails(Path model, String expected) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(model, Golden.TOKENIZER, 1).close());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
        return e;
    }

    /** Replaces the safetensors header (keeping the data) with {@code header}. */
    static byte[] withHeader(byte[] file, String header) {
        long old = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(file, (int) (8 + old), file.length);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).put(data).array();
    }

    @Test
    void corruptFoldersAreOneClearLine() throws Exception {
        Path ok = dir.resolve("ok");
        HfFolderWriter.write(ok, HfFolderWriter.stories(), false, 1);
        byte[] valid = Files.readAllBytes(ok.resolve("model.safetensors"));
        Path bad = dir.resolve("bad");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("config.json"), HfFolderWriter.config(true));
        Path st = bad.resolve("model.safetensors");

        Files.write(st, Arrays.copyOf(valid, valid.length - 10));
        fails(bad, "lie outside the");
        byte[] forged = valid.clone();
        ByteBuffer.wrap(forged).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        Files.write(st, forged);
        fails(bad, "header length 9223372036854775807 does not fit");
        Files.write(st, withHeader(valid, "{\"model.norm.weight\":"));
        fails(bad, "invalid JSON header");
        Files.write(st, withHeader(valid, "{\"model.norm.weight\":{\"dtype\":\"Q4\",\"shape\":[64],\"data_offsets\":[0,256]}}"));
        fails(bad, "unknown dtype Q4");
        Files.write(st, withHeader(valid, "{\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[0,200]}}"));
        fails(bad, "holds 200 bytes, but F32 [64] needs 256");
        Files.write(st, withHeader(valid, "{\"a\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[0,256]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[128,384]}}"));
        fails(bad, "overlap");
        Files.write(st, withHeader(valid, "{\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[99999999999,4],\"data_offsets\":[0,256]}}"));
        fails(bad, "has dimension");
        Files.write(st, withHeader(valid, "{\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[0,256]}}"));
        fails(bad, "tensor blk.0.attn_norm is missing");

        Files.delete(st);
        Files.write(bad.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        fails(bad, "unpickling them can run arbitrary code");
        Files.writeString(bad.resolve("config.json"), HfFolderWriter.config(true).replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        fails(bad, "architecture 'GPT2LMHeadModel' is not supported");
    }

    /** BOS as transformers prepends it when tokenizer_config.json does not say: from tokenizer.json's post-processor. */
    @Test
    void bosFromTheTokenizersPostProcessor() throws Exception {
        String llama3 = """
            {"post_processor": {"type": "Sequence", "processors": [
              {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [],
               "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}]}}""";
        Path f = dir.resolve("tokenizer.json");
        java.nio.file.Files.writeString(f, llama3);
        assertEquals(Boolean.TRUE, HfModel.postProcessorAddsBos(dev.lowbit.engine.json.JsonObject.readFile(f), 128000));
        assertEquals(Boolean.FALSE, HfModel.postProcessorAddsBos(dev.lowbit.engine.json.JsonObject.readFile(f), 1)); // its special token is not this model's BOS
        java.nio.file.Files.writeString(f, "{\"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false}}"); // Qwen2.5
        assertEquals(Boolean.FALSE, HfModel.postProcessorAddsBos(dev.lowbit.engine.json.JsonObject.readFile(f), 151643));
        java.nio.file.Files.writeString(f, "{\"post_processor\": null}");
        assertEquals(null, HfModel.postProcessorAddsBos(dev.lowbit.engine.json.JsonObject.readFile(f), 1));
        java.nio.file.Files.writeString(f, "{\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}]}}");
        assertEquals(Boolean.FALSE, HfModel.postProcessorAddsBos(dev.lowbit.engine.json.JsonObject.readFile(f), 1));
    }

    @Test
    void smolLm3LayersWithoutRope() {
        var ok = dev.lowbit.engine.json.JsonObject.of(dev.lowbit.engine.json.Json.parse(
                "{\"no_rope_layers\": [1, 1, 1, 0, 1, 1, 1, 0], \"no_rope_layer_interval\": 4}"), "config.json");
        assertEquals(4, HfConfig.noRopeEvery(ok, 8));
        var other = dev.lowbit.engine.json.JsonObject.of(dev.lowbit.engine.json.Json.parse("{\"no_rope_layers\": [1, 0, 1, 1]}"), "config.json");
        var e = assertThrows(dev.lowbit.engine.json.JsonException.class, () -> HfConfig.noRopeEvery(other, 4));
        assertTrue(e.getMessage().contains("not every 4-th layer"), e.getMessage());
    }

    @Test
    void llama3RopeScaling() {
        // Llama 3.1 8B's settings: the highest frequency stays, the lowest is divided by 8.
        double[] f = dev.lowbit.engine.model.Rope.standardFrequencies(128, 500000);
        double[] scaled = f.clone();
        HfConfig.scaleRope(dev.lowbit.engine.json.JsonObject.of(dev.lowbit.engine.json.Json.parse(
                "{\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\"}"),
                "rope_scaling"), scaled, dev.lowbit.engine.json.JsonObject.of(dev.lowbit.engine.json.Json.parse("{}"), "config"));
        assertEquals(f[0], scaled[0]);
        assertEquals(f[63] / 8, scaled[63], 1e-15);
        // Wavelength 2π/f between 8192/4 and 8192 is interpolated: strictly between f/8 and f.
        for (int i = 0; i < 64; i++) {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen > 2048 && wavelen < 8192) assertTrue(scaled[i] > f[i] / 8 && scaled[i] < f[i], "pair " + i);
        }
    }

    /** Random byte flips in a safetensors header: a clean load or one clear line naming a file, nothing else. */
    @Test
    void randomHeaderCorruption() throws Exception {
        Path ok = dir.resolve("fuzz");
        HfFolderWriter.write(ok, HfFolderWriter.stories(), false, 1);
        byte[] valid = Files.readAllBytes(ok.resolve("model.safetensors"));
        long headerLength = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        int refused = 0;
        for (int trial = 0; trial < 300; trial++) {
            byte[] b = valid.clone();
            for (int k = 0; k < 1 + rnd.nextInt(3); k++) b[rnd.nextInt((int) headerLength + 8)] = (byte) rnd.nextInt(256);
            Files.write(ok.resolve("model.safetensors"), b);
            try {
                ModelLoader.load(ok, Golden.TOKENIZER, 1).close();
            } catch (dev.lowbit.engine.LowbitException e) {
                assertTrue(!e.getMessage().contains("\n") && e.getMessage().startsWith(ok.toString()), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 0, "no corruption was noticed");
    }
}
