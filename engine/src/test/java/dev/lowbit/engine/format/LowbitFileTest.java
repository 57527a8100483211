package dev.lowbit.engine.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.json.Json;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.engine.tokenizer.Llama2cTokenizerFile;
import dev.lowbit.engine.tokenizer.Tokenizer;
import dev.lowbit.kernels.CodeLayout;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.F16Matrix;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.LutPacker;
import dev.lowbit.kernels.ScaleFormat;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LowbitFileTest {
    @TempDir Path dir;

    static final Tokenizer TOKENIZER = Llama2cTokenizerFile.read(Golden.TOKENIZER);
    // vocab 512 to share the real tokenizer; widths not multiples of the group sizes.
    static final LlamaConfig CONFIG = new LlamaConfig(40, 70, 2, 4, 2, 10, 512, 32, 1e-5f, 10000f, RopeStyle.ROTATE_HALF);

    /** Random codes, scales and offsets: a CodebookMatrix that needs no quantizer. */
    static CodebookMatrix randomCodebook(WeightMatrix shapeOf, int bits, int group, boolean offsets, ScaleFormat format, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        CodeLayout layout = new CodeLayout(shapeOf.rows(), shapeOf.cols(), bits, group);
        MemorySegment codes = Arena.ofAuto().allocate(layout.codeBytes());
        for (long i = 0; i < codes.byteSize(); i++) codes.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        MemorySegment scales = Arena.ofAuto().allocate(layout.groups() * format.bytes());
        MemorySegment offs = offsets ? Arena.ofAuto().allocate(layout.groups() * 2) : null;
        for (long g = 0; g < layout.groups(); g++) {
            format.write(scales, g, format == ScaleFormat.E8M0 ? Math.scalb(1f, -4 - r.nextInt(3)) : (float) (0.01 + 0.02 * r.nextDouble()));
            if (offs != null) ScaleFormat.F16.write(offs, g, (float) (-0.1 * r.nextDouble()));
        }
        float[] levels = new float[1 << bits];
        for (int i = 0; i < levels.length; i++) levels[i] = i - levels.length / 2f + 0.25f * (i % 3);
        return new CodebookMatrix(layout, levels, format, codes, scales, offs);
    }

    /** A model whose tensors use every storage type the format has. */
    static LlamaWeights mixedWeights() {
        LlamaWeights w = SyntheticWeights.random(CONFIG, 8, true, false);
        NamedWeights named = NamedWeights.of(w);
        Map<String, WeightMatrix> m = new LinkedHashMap<>(named.matrices());
        m.put("blk.0.attn_q", randomCodebook(m.get("blk.0.attn_q"), 4, 32, true, ScaleFormat.F16, 1));
        m.put("blk.0.ffn_down", randomCodebook(m.get("blk.0.ffn_down"), 3, 32, false, ScaleFormat.F16, 2));
        m.put("blk.1.ffn_up", randomCodebook(m.get("blk.1.ffn_up"), 4, 32, false, ScaleFormat.E8M0, 3));
        m.put("blk.1.attn_v", randomCodebook(m.get("blk.1.attn_v"), 2, 40, true, ScaleFormat.F16, 4));
        // Table-lookup tiles as lowbit writes them (lut64s) and as older files hold them (lut64).
        m.put("blk.0.ffn_up", LutPacker.pack(randomCodebook(m.get("blk.0.ffn_up"), 4, 32, false, ScaleFormat.F16, 5)));
        m.put("blk.1.attn_k", LutPacker.relayout(LutPacker.pack(randomCodebook(m.get("blk.1.attn_k"), 2, 32, true, ScaleFormat.F16, 6)), false));
        float[] all = new float[CONFIG.vocabSize() * CONFIG.dim()];
        WeightMatrix out = m.get("output");
        for (int r = 0; r < out.rows(); r++) out.readRow(r, all, r * out.cols());
        m.put("output", F16Matrix.of(all, out.rows(), out.cols()));
        return new NamedWeights(m, named.vectors()).toWeights(CONFIG.nLayers());
    }

    static float[] logits(LlamaConfig c, LlamaWeights w) {
        try (WorkerPool pool = new WorkerPool(1)) {
            LlamaModel model = new LlamaModel(c, w, pool);
            InferenceState s = model.newState(8, 8);
            int[] tokens = {1, 400, 7, 311, 255, 42};
            model.forward(s, tokens, 0, tokens.length, 0, true);
            return Arrays.copyOf(s.logits(), tokens.length * c.vocabSize());
        }
    }

    Path writeMixed() {
        Path file = dir.resolve("m.lowbit");
        LowbitWriter.write(file, CONFIG, TOKENIZER, "{{ messages }}", Map.of("method", "test"), mixedWeights(), false);
        return file;
    }

    @Test
    void everyTensorTypeRoundTripsExactly() throws Exception {
        LlamaWeights original = mixedWeights();
        Path file = writeMixed();
        try (MappedFile f = MappedFile.open(file)) {
            LowbitFile.Contents c = LowbitFile.read(f, true);
            assertEquals(CONFIG, c.config());
            assertEquals("{{ messages }}", c.chatTemplate());
            assertEquals("test", c.quantization().method());
            assertEquals("codebook", c.tensorTypes().get("blk.0.attn_q"));
            assertEquals("f16", c.tensorTypes().get("output"));
            assertEquals("f32", c.tensorTypes().get("blk.0.attn_q.bias"));
            String header = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(header.contains("\"layout\":\"lut64s\"") && header.contains("\"layout\":\"lut64\""), "both tile orders stored");
            // The same storage decodes to the same floats, so the same code gives bit-identical logits.
            float[] expected = logits(CONFIG, original), actual = logits(c.config(), c.weights());
            assertArrayEquals(expected, actual, 1e-5f);
            int[] ids = c.tokenizer().encode("Once upon a time", true, false);
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, ids);
        }
        assertEquals(List.of("m.lowbit"), listDir());
    }

    @Test
    void tensorDataIs64ByteAlignedInTheFile() throws Exception {
        Path file = writeMixed();
        JsonObject header = header(file);
        long dataStart = LowbitFile.align(LowbitFile.PREFIX_BYTES + headerLength(file));
        assertEquals(0, dataStart % 64);
        for (Object t : header.list("tensors")) {
            JsonObject parts = JsonObject.of(t, "t").object("parts");
            for (String p : parts.map().keySet()) assertEquals(0, parts.longs(p)[0] % 64);
        }
    }

    @Test
    void existingOutputIsNotOverwrittenWithoutForce() throws Exception {
        Path file = dir.resolve("m.lowbit");
        Files.writeString(file, "precious");
        LowbitException e = assertThrows(LowbitException.class,
                () -> LowbitWriter.write(file, CONFIG, TOKENIZER, null, Map.of(), mixedWeights(), false));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals("precious", Files.readString(file));
        LowbitWriter.write(file, CONFIG, TOKENIZER, null, Map.of(), mixedWeights(), true);
        assertTrue(LowbitFile.hasMagic(MappedFile.open(file)));
    }

    @Test
    void failedWriteLeavesNothingBehind() {
        // A tokenizer the format cannot hold fails the write; no file, temporary or final, is left.
        dev.lowbit.engine.tokenizer.Tokenizer t = TOKENIZER;
        dev.lowbit.engine.tokenizer.Tokenizer alien = new dev.lowbit.engine.tokenizer.Tokenizer() {
            public int vocabSize() { return t.vocabSize(); }
            public int[] encode(String text, boolean addBos, boolean addEos) { return t.encode(text, addBos, addEos); }
            public int bos() { return t.bos(); }
            public int eos() { return t.eos(); }
            public boolean isStop(int token) { return t.isStop(token); }
            public byte[] tokenBytes(int token, boolean atStart) { return t.tokenBytes(token, atStart); }
            public String tokenText(int token) { return t.tokenText(token); }
            public boolean isControl(int token) { return t.isControl(token); }
            public String describe() { return "alien"; }
        };
        Path file = dir.resolve("out.lowbit");
        assertThrows(IllegalArgumentException.class, () -> LowbitWriter.write(file, CONFIG, alien, null, Map.of(), mixedWeights(), false));
        assertEquals(List.of(), listDir());
    }

    /** A matrix of a type without a storage of its own (bf16, or anything else) is stored as f32, value for value. */
    @Test
    void otherMatrixTypesAreStoredAsF32() throws Exception {
        LlamaWeights w = mixedWeights();
        NamedWeights named = NamedWeights.of(w);
        Map<String, WeightMatrix> m = new LinkedHashMap<>(named.matrices());
        WeightMatrix q = m.get("blk.1.attn_q");
        m.put("blk.1.attn_q", new WeightMatrix() {
            public int rows() { return q.rows(); }
            public int cols() { return q.cols(); }
            public void multiply(float[] x, float[] y, int batch, WorkerPool pool) { q.multiply(x, y, batch, pool); }
            public void readRow(int row, float[] dst, int offset) { q.readRow(row, dst, offset); }
            public long byteSize() { return q.byteSize(); }
            public String typeName() { return "alien"; }
        });
        Path file = dir.resolve("alien.lowbit");
        LowbitWriter.write(file, CONFIG, TOKENIZER, null, Map.of(), new NamedWeights(m, named.vectors()).toWeights(2), false);
        try (var loaded = dev.lowbit.engine.ModelLoader.load(file, null, 1)) {
            WeightMatrix back = loaded.model().weights().layers().get(1).wq();
            assertEquals("f32", back.typeName());
            org.junit.jupiter.api.Assertions.assertArrayEquals(q.readAll(), back.readAll());
        }
    }

    /**
     * A matrix over a Java {@code float[]} (AWQ's kept layers are) is written and checksummed through copies: its
     * segment cannot be viewed as a ByteBuffer ("Not an address to an heap-allocated byte array" before).
     */
    @Test
    void matricesOverJavaArraysAreWritten() throws Exception {
        LlamaWeights w = SyntheticWeights.random(CONFIG, 9, false, false);
        NamedWeights named = NamedWeights.of(w);
        java.util.Map<String, WeightMatrix> m = new LinkedHashMap<>(named.matrices());
        WeightMatrix q = m.get("blk.0.attn_q");
        float[] values = q.readAll();
        F32Matrix onHeap = new F32Matrix(java.lang.foreign.MemorySegment.ofArray(values), q.rows(), q.cols());
        assertTrue(onHeap.data().heapBase().isPresent(), "the case under test: a heap segment over a float[]");
        m.put("blk.0.attn_q", onHeap);
        LlamaWeights heap = new NamedWeights(m, named.vectors()).toWeights(CONFIG.nLayers());
        Path file = dir.resolve("heap.lowbit");
        LowbitWriter.write(file, CONFIG, TOKENIZER, null, Map.of("method", "test"), heap, false);
        try (MappedFile f = MappedFile.open(file)) {
            LowbitFile.Contents c = LowbitFile.read(f, true);
            assertArrayEquals(values, NamedWeights.of(c.weights()).matrices().get("blk.0.attn_q").readAll());
        }
    }

    /** A partial file whose writer was killed (its process gone) is removed by the next write; a live writer's is kept. */
    @Test
    void partialFilesOfKilledWritersAreRemoved() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path orphan = Files.writeString(dir.resolve(".m.lowbit." + gone.pid() + ".1a2b.partial"), "half a file");
        Path live = Files.writeString(dir.resolve(".m.lowbit." + ProcessHandle.current().pid() + ".3c4d.partial"), "being written");
        Path other = Files.writeString(dir.resolve(".other.lowbit." + gone.pid() + ".5e6f.partial"), "another output's");
        writeMixed();
        assertTrue(Files.notExists(orphan), "the killed writer's partial file is removed");
        assertTrue(Files.exists(live) && Files.exists(other), "a live writer's, and another output's, are left alone");
    }

    @Test
    void corruptTensorIsReportedOnFirstUseAndByVerify() throws Exception {
        Path file = writeMixed();
        JsonObject t = tensor(file, "blk.1.ffn_gate");
        long at = LowbitFile.align(LowbitFile.PREFIX_BYTES + headerLength(file)) + t.object("parts").longs("data")[0] + 17;
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) at] ^= 0x40;
        Files.write(file, bytes);
        // Opening does not read the tensor; the first forward pass does, and stops with the tensor's name.
        try (LoadedModel m = ModelLoader.load(file, null, 1)) {
            InferenceState s = m.model().newState(4, 4);
            ModelFileException e = assertThrows(ModelFileException.class, () -> m.model().forward(s, new int[] {1}, 0, 1, 0, false));
            assertTrue(e.getMessage().startsWith(file + ": tensor blk.1.ffn_gate is corrupt"), e.getMessage());
        }
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(file, null, 1, true));
        assertTrue(e.getMessage().contains("blk.1.ffn_gate is corrupt"), e.getMessage());
    }

    @Test
    void truncatedFile() throws Exception {
        Path file = writeMixed();
        byte[] bytes = Files.readAllBytes(file);
        for (int cut : new int[] {5, 20, 200, bytes.length - 100}) {
            Files.write(file, Arrays.copyOf(bytes, cut));
            ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(file, null, 1), "cut at " + cut);
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        }
    }

    @Test
    void badPrefixes() throws Exception {
        Path file = writeMixed();
        byte[] good = Files.readAllBytes(file);
        expectError(file, good, b -> b[7] = 0, "bad magic");
        expectError(file, good, b -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 99), "version 99 is not supported");
        expectError(file, good, b -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(16, Long.MAX_VALUE), "header length");
        expectError(file, good, b -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(16, -5), "header length");
        expectError(file, good, b -> b[24] = '#', "corrupt header: Unexpected character ('#'");
        expectError(file, good, b -> b[30] = '#', "corrupt header: header.format is missing"); // "fo#mat"
    }

    @Test
    void forgedDirectoryEntries() throws Exception {
        Path file = writeMixed();
        forge(file, "blk.0.attn_k", t -> { }, "nothing: the rewritten file must load"); // the forging itself is sound
        forge(file, "blk.0.attn_k", t -> t.put("shape", List.of(21, 40)), "has 3200 bytes, its shape needs 3360");
        forge(file, "blk.0.attn_k", t -> t.put("type", "q9_z"), "unknown type q9_z");
        forge(file, "blk.0.attn_q", t -> t.put("bits", 9), "bits = 9");
        forge(file, "blk.0.attn_q", t -> t.put("layout", "bitplanes-v7"), "packed layout bitplanes-v7");
        forge(file, "blk.0.attn_q", t -> t.put("levels", List.of(1, 2, 3)), "3 levels for 4 bits");
        forge(file, "blk.0.attn_k", t -> part(t, "data", 1L << 50, 3200), "past the end of the file");
        forge(file, "blk.0.attn_k", t -> part(t, "data", 65, 3200), "not 64-byte aligned");
        forge(file, "blk.0.attn_k", t -> part(t, "data", -64, 3200), "not 64-byte aligned");
        forge(file, "blk.0.attn_k", t -> part(t, "data", 0, 3200), "overlap");
        forge(file, "blk.0.attn_k", t -> t.put("name", "blk.0.attn_v"), "appears twice");
        forge(file, "blk.0.attn_k", t -> t.put("name", "blk.0.nothing"), "blk.0.attn_k is missing");
        forge(file, "blk.0.attn_k", t -> t.put("shape", List.of(1L << 40, 40)), "has dimension");
    }

    private static void part(Map<String, Object> t, String part, long offset, long length) {
        @SuppressWarnings("unchecked") Map<String, Object> parts = (Map<String, Object>) t.get("parts");
        parts.put(part, List.of(offset, length));
    }

    /** Rewrites one directory entry, keeping the data bytes, and expects the load to fail with {@code expected}. */
    private void forge(Path file, String tensor, Consumer<Map<String, Object>> edit, String expected) throws Exception {
        Path forged = dir.resolve("forged.lowbit");
        byte[] bytes = Files.readAllBytes(file);
        long dataStart = LowbitFile.align(LowbitFile.PREFIX_BYTES + headerLength(file));
        @SuppressWarnings("unchecked") Map<String, Object> header = (Map<String, Object>) Json.parse(new String(
                bytes, LowbitFile.PREFIX_BYTES, (int) headerLength(file), StandardCharsets.UTF_8));
        for (Object t : (List<?>) header.get("tensors")) {
            @SuppressWarnings("unchecked") Map<String, Object> entry = (Map<String, Object>) t;
            if (entry.get("name").equals(tensor)) edit.accept(entry);
        }
        byte[] h = Json.write(header).getBytes(StandardCharsets.UTF_8);
        long newStart = LowbitFile.align(LowbitFile.PREFIX_BYTES + h.length);
        byte[] out = new byte[(int) (newStart + bytes.length - dataStart)];
        System.arraycopy(bytes, 0, out, 0, LowbitFile.PREFIX_BYTES);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(16, h.length);
        System.arraycopy(h, 0, out, LowbitFile.PREFIX_BYTES, h.length);
        System.arraycopy(bytes, (int) dataStart, out, (int) newStart, (int) (bytes.length - dataStart));
        Files.write(forged, out);
        if (expected.startsWith("nothing")) {
            ModelLoader.load(forged, null, 1).close();
            return;
        }
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(forged, null, 1).close(), expected);
        assertTrue(e.getMessage().startsWith(forged + ": corrupt header: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    private void expectError(Path file, byte[] good, Consumer<byte[]> edit, String expected) throws Exception {
        byte[] b = good.clone();
        edit.accept(b);
        Files.write(file, b);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(file, null, 1).close());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static long headerLength(Path file) throws Exception {
        byte[] prefix = Arrays.copyOf(Files.readAllBytes(file), LowbitFile.PREFIX_BYTES);
        return ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong(16);
    }

    private static JsonObject header(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        return JsonObject.of(Json.parse(new String(bytes, LowbitFile.PREFIX_BYTES, (int) headerLength(file), StandardCharsets.UTF_8)), "h");
    }

    private static JsonObject tensor(Path file, String name) throws Exception {
        for (Object t : header(file).list("tensors")) {
            JsonObject o = JsonObject.of(t, "t");
            if (o.string("name").equals(name)) return o;
        }
        throw new IllegalStateException(name);
    }

    private List<String> listDir() {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
