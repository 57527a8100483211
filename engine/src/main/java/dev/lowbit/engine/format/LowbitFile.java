package dev.lowbit.engine.format;

import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.QuantizationInfo;
import dev.lowbit.engine.json.Json;
import dev.lowbit.engine.json.JsonException;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.ModelTraits;
import dev.lowbit.engine.model.Rope;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.tokenizer.SentencePieceBpe;
import dev.lowbit.engine.tokenizer.Tokenizer;
import dev.lowbit.kernels.CodeLayout;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.F16Matrix;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.KernelChoice;
import dev.lowbit.kernels.LutLayout;
import dev.lowbit.kernels.LutMatrix;
import dev.lowbit.kernels.ScaleFormat;
import dev.lowbit.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code .lowbit} model file (specified in docs/FORMAT.md): an 8-byte magic, a version, a JSON header
 * (model config, tokenizer, chat template, quantization recipe, tensor directory), then 64-byte aligned tensor
 * data. Reading maps the file and checks every offset, length and shape before anything is used.
 */
public final class LowbitFile {
    static final byte[] MAGIC = {'L', 'O', 'W', 'B', 'I', 'T', 0x00, 0x1A};
    /** Version written; version 1 files (row-stream codebooks only) are still read. */
    public static final int VERSION = 2;
    static final int PREFIX_BYTES = 24; // magic, u32 version, u32 reserved, u64 header length
    static final int ALIGNMENT = 64;
    /** Packed layouts of codebook tensors: a row stream ({@link CodeLayout}) or table-lookup tiles ({@link LutLayout}). */
    static final String CODE_LAYOUT = "rows-lsb";
    static final String LUT_LAYOUT = "lut64s";            // tiles with their scales first (written since 2026-11-25)
    static final String LUT_LAYOUT_INTERLEAVED = "lut64"; // each group's scales before its chunks (read only)

    private LowbitFile() {}

    /** Everything a {@code .lowbit} file holds. */
    public record Contents(LlamaConfig config, Tokenizer tokenizer, String chatTemplate, QuantizationInfo quantization,
                           LlamaWeights weights, Map<String, String> tensorTypes) {}

    public static boolean hasMagic(MappedFile file) {
        if (file.size() < MAGIC.length) return false;
        return Arrays.equals(MAGIC, file.segment().asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE));
    }

    static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** Reads the file; with {@code verifyNow} every tensor's checksum is checked before returning. */
    public static Contents read(MappedFile file, boolean verifyNow) {
        if (!hasMagic(file)) throw file.error("not a .lowbit file (bad magic)");
        file.checkRange(0, PREFIX_BYTES, "file prefix");
        int version = file.readInt(8, "version");
        if (version < 1 || version > VERSION) {
            throw file.error(".lowbit format version " + version + " is not supported (this lowbit reads version " + VERSION + ")");
        }
        long headerLength = file.segment().get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 16);
        if (headerLength <= 0 || headerLength > file.size() - PREFIX_BYTES || headerLength > Integer.MAX_VALUE - 8) {
            throw file.error("truncated or corrupt: header length " + headerLength + " does not fit a file of " + file.size() + " bytes");
        }
        long dataStart = align(PREFIX_BYTES + headerLength);
        byte[] headerBytes = file.slice(PREFIX_BYTES, headerLength, "header").toArray(ValueLayout.JAVA_BYTE);
        try {
            JsonObject header = JsonObject.of(Json.parse(new String(headerBytes, StandardCharsets.UTF_8)), "header");
            if (!header.string("format").equals("lowbit")) throw new JsonException("header.format is not \"lowbit\"");
            LlamaConfig config = config(header.object("model"));
            Tokenizer tokenizer = TokenizerJson.read(header.object("tokenizer"));
            if (tokenizer.vocabSize() != config.vocabSize()) {
                throw new JsonException("the tokenizer has " + tokenizer.vocabSize() + " tokens, the model " + config.vocabSize());
            }
            String template = header.has("chat_template") ? header.string("chat_template") : null;
            QuantizationInfo quantization = header.has("quantization") ? QuantizationInfo.fromHeader(header.object("quantization")) : QuantizationInfo.NONE;
            TensorReader reader = new TensorReader(file, dataStart, verifyNow);
            for (Object t : header.list("tensors")) reader.read(JsonObject.of(t, "tensor"));
            reader.checkNoOverlap();
            LlamaWeights weights = reader.named().toWeights(config.nLayers());
            weights.validate(config);
            return new Contents(config, tokenizer, template, quantization, weights, reader.types);
        } catch (JsonException | IllegalArgumentException e) {
            throw file.error("corrupt header: " + e.getMessage());
        }
    }

    static Map<String, Object> configJson(LlamaConfig c, boolean tied) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architecture", "llama");
        m.put("dim", c.dim());
        m.put("hidden_dim", c.hiddenDim());
        m.put("n_layers", c.nLayers());
        m.put("n_heads", c.nHeads());
        m.put("n_kv_heads", c.nKvHeads());
        m.put("head_dim", c.headDim());
        m.put("vocab_size", c.vocabSize());
        m.put("context_length", c.contextLength());
        m.put("norm_eps", c.normEps());
        m.put("rope_theta", c.ropeTheta());
        m.put("rope_style", c.ropeStyle().name().toLowerCase());
        // Scaled RoPE (Llama 3.1's rope_scaling, GGUF's rope_freqs) as the angle of each pair; absent: theta's own.
        if (c.ropeDim() < c.headDim()) m.put("rope_dim", c.ropeDim());
        if (c.ropeScaled()) m.put("rope_frequencies", doubles(c.ropeFrequencies()));
        if (c.noRopeEvery() > 0) m.put("no_rope_every", c.noRopeEvery());
        if (!c.traits().isLlama()) m.put("traits", traitsJson(c.traits()));
        m.put("tied_classifier", tied);
        return m;
    }

    /** The departures from the Llama block (docs/FORMAT.md, "traits"); absent for Llama's own. */
    private static Map<String, Object> traitsJson(ModelTraits t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("activation", t.activation().name().toLowerCase());
        m.put("embedding_scale", t.embeddingScale());
        m.put("query_scale", t.queryScale());
        m.put("attention_softcap", t.attentionSoftcap());
        m.put("final_softcap", t.finalSoftcap());
        m.put("rope_magnitude", t.ropeMagnitude());
        if (t.longRopeFrequencies() != null) {
            m.put("long_rope_frequencies", doubles(t.longRopeFrequencies()));
            m.put("rope_original_context", t.ropeOriginalContext());
        }
        if (t.slidingWindow() > 0) {
            m.put("sliding_window", t.slidingWindow());
            List<Object> layers = new ArrayList<>();
            for (boolean b : t.slidingLayers()) layers.add(b);
            m.put("sliding_layers", layers);
            if (t.slidingRopeFrequencies() != null) m.put("sliding_rope_frequencies", doubles(t.slidingRopeFrequencies()));
        }
        return m;
    }

    private static ModelTraits traits(JsonObject m, int layers) {
        ModelTraits.Activation activation;
        try {
            activation = ModelTraits.Activation.valueOf(m.string("activation").toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new JsonException("unknown activation " + m.string("activation"));
        }
        ModelTraits t = ModelTraits.LLAMA.withActivation(activation).withEmbeddingScale((float) m.number("embedding_scale"))
                .withQueryScale((float) m.number("query_scale")).withSoftcaps((float) m.number("attention_softcap"), (float) m.number("final_softcap"))
                .withRopeMagnitude((float) m.number("rope_magnitude"));
        if (m.has("long_rope_frequencies")) t = t.withLongRope(m.doubles("long_rope_frequencies"), m.integer("rope_original_context", 1, 1 << 24));
        if (!m.has("sliding_window")) return t;
        List<Object> flags = m.list("sliding_layers");
        if (flags.size() != layers) throw new JsonException("sliding_layers has " + flags.size() + " entries for " + layers + " layers");
        boolean[] sliding = new boolean[layers];
        for (int l = 0; l < layers; l++) {
            if (!(flags.get(l) instanceof Boolean b)) throw new JsonException("sliding_layers[" + l + "] is not a boolean");
            sliding[l] = b;
        }
        return t.withSlidingWindow(m.integer("sliding_window", 1, 1 << 24), sliding,
                m.has("sliding_rope_frequencies") ? m.doubles("sliding_rope_frequencies") : null);
    }

    private static List<Double> doubles(double[] v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }

    private static LlamaConfig config(JsonObject m) {
        if (!m.string("architecture").equals("llama")) throw new JsonException("unsupported architecture " + m.string("architecture"));
        RopeStyle style;
        try {
            style = RopeStyle.valueOf(m.string("rope_style").toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new JsonException("unknown rope_style " + m.string("rope_style"));
        }
        LlamaConfig c = new LlamaConfig(m.integer("dim", 1, 1 << 16), m.integer("hidden_dim", 1, 1 << 18),
                m.integer("n_layers", 1, 1 << 10), m.integer("n_heads", 1, 1 << 12), m.integer("n_kv_heads", 1, 1 << 12),
                m.integer("head_dim", 2, 1 << 12), m.integer("vocab_size", 1, 1 << 22),
                m.integer("context_length", 1, 1 << 24), (float) m.number("norm_eps"), (float) m.number("rope_theta"), style);
        if (m.has("rope_dim")) c = c.withRopeFrequencies(Rope.standardFrequencies(m.integer("rope_dim", 2, c.headDim()), c.ropeTheta()));
        if (m.has("rope_frequencies")) c = c.withRopeFrequencies(m.doubles("rope_frequencies"));
        if (m.has("traits")) c = c.withTraits(traits(m.object("traits"), c.nLayers()));
        return m.has("no_rope_every") ? c.withNoRopeEvery(m.integer("no_rope_every", 1, 1 << 10)) : c;
    }

    /** Reads tensor entries, checking each part against the data section. */
    private static final class TensorReader {
        private final MappedFile file;
        private final long dataStart;
        private final boolean verifyNow;
        private final Map<String, WeightMatrix> matrices = new LinkedHashMap<>();
        private final Map<String, float[]> vectors = new LinkedHashMap<>();
        private final Map<String, String> types = new LinkedHashMap<>();
        private final List<long[]> ranges = new ArrayList<>(); // [start, end, index]
        private final List<String> rangeNames = new ArrayList<>();

        TensorReader(MappedFile file, long dataStart, boolean verifyNow) {
            this.file = file;
            this.dataStart = dataStart;
            this.verifyNow = verifyNow;
        }

        NamedWeights named() {
            return new NamedWeights(matrices, vectors);
        }

        void read(JsonObject t) {
            String name = t.string("name");
            if (types.containsKey(name)) throw new JsonException("tensor " + name + " appears twice");
            String type = t.string("type");
            long[] shape = t.longs("shape");
            if (shape.length < 1 || shape.length > 2) throw new JsonException("tensor " + name + " has " + shape.length + " dimensions");
            for (long d : shape) if (d < 1 || d > Integer.MAX_VALUE) throw new JsonException("tensor " + name + " has dimension " + d);
            int rows = (int) shape[0], cols = shape.length == 2 ? (int) shape[1] : 1;
            JsonObject parts = t.object("parts");
            long crc = t.integer("crc32c", 0L, 0xFFFFFFFFL);
            types.put(name, type);
            if (shape.length == 1) {
                if (!type.equals("f32")) throw new JsonException("vector " + name + " must be f32, is " + type);
                MemorySegment data = part(name, parts, "data", 4L * rows);
                checkNow(name, List.of(data), crc);
                float[] v = new float[rows];
                MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v, 0, rows);
                vectors.put(name, v);
                return;
            }
            List<MemorySegment> segments = new ArrayList<>();
            WeightMatrix m = switch (type) {
                case "f32" -> {
                    MemorySegment d = part(name, parts, "data", 4L * rows * cols);
                    segments.add(d);
                    yield new F32Matrix(d, rows, cols);
                }
                case "f16" -> {
                    MemorySegment d = part(name, parts, "data", 2L * rows * cols);
                    segments.add(d);
                    yield new F16Matrix(d, rows, cols);
                }
                case "codebook" -> codebook(name, t, parts, rows, cols, segments);
                default -> throw new JsonException("tensor " + name + " has unknown type " + type);
            };
            checkNow(name, segments, crc);
            matrices.put(name, new CrcCheckedMatrix(m, file.path(), name, segments, crc));
        }

        private WeightMatrix codebook(String name, JsonObject t, JsonObject parts, int rows, int cols, List<MemorySegment> segments) {
            String packed = t.string("layout");
            boolean lut = packed.equals(LUT_LAYOUT) || packed.equals(LUT_LAYOUT_INTERLEAVED);
            if (!lut && !packed.equals(CODE_LAYOUT)) {
                throw new JsonException("tensor " + name + " uses packed layout " + packed + ", this version reads "
                        + CODE_LAYOUT + ", " + LUT_LAYOUT + " and " + LUT_LAYOUT_INTERLEAVED);
            }
            int bits = t.integer("bits", 1, 8);
            int groupSize = t.integer("group_size", 1, cols);
            float[] levels = t.floats("levels");
            if (levels.length != 1 << bits) throw new JsonException("tensor " + name + " has " + levels.length + " levels for " + bits + " bits");
            for (float l : levels) if (!Float.isFinite(l)) throw new JsonException("tensor " + name + " has a non-finite level");
            ScaleFormat scaleFormat = switch (t.string("scale_format")) {
                case "f16" -> ScaleFormat.F16;
                case "e8m0" -> ScaleFormat.E8M0;
                default -> throw new JsonException("tensor " + name + " has unknown scale format " + t.string("scale_format"));
            };
            if (lut) {
                if (!LutLayout.supportsBits(bits) || !LutLayout.supportsGroup(groupSize, cols)) {
                    throw new JsonException("tensor " + name + ": the " + packed + " layout cannot hold " + bits + "-bit codes in groups of " + groupSize);
                }
                LutLayout tiles = new LutLayout(rows, cols, bits, groupSize, scaleFormat, t.bool("offsets"), packed.equals(LUT_LAYOUT));
                MemorySegment d = part(name, parts, "data", tiles.totalBytes());
                segments.add(d);
                return new LutMatrix(tiles, levels, d);
            }
            CodeLayout layout = new CodeLayout(rows, cols, bits, groupSize);
            MemorySegment codes = part(name, parts, "codes", layout.codeBytes());
            MemorySegment scales = part(name, parts, "scales", layout.groups() * scaleFormat.bytes());
            MemorySegment offsets = parts.has("offsets") ? part(name, parts, "offsets", layout.groups() * 2) : null;
            segments.add(codes);
            segments.add(scales);
            if (offsets != null) segments.add(offsets);
            CodebookMatrix m = new CodebookMatrix(layout, levels, scaleFormat, codes, scales, offsets);
            return KernelChoice.of(m, true);
        }

        private MemorySegment part(String name, JsonObject parts, String part, long expectedBytes) {
            long[] at = parts.longs(part);
            if (at.length != 2) throw new JsonException("tensor " + name + " part " + part + " must be [offset, length]");
            long offset = at[0], length = at[1];
            if (length != expectedBytes) {
                throw new JsonException("tensor " + name + " part " + part + " has " + length + " bytes, its shape needs " + expectedBytes);
            }
            if (offset < 0 || offset % ALIGNMENT != 0) throw new JsonException("tensor " + name + " part " + part + " offset " + offset + " is not 64-byte aligned");
            if (offset > file.size() - dataStart || length > file.size() - dataStart - offset) {
                throw new JsonException("tensor " + name + " part " + part + " (bytes " + offset + ".." + (offset + length)
                        + " of the data) lies past the end of the file: truncated?");
            }
            ranges.add(new long[] {offset, offset + length, rangeNames.size()});
            rangeNames.add(name + "." + part);
            return file.segment().asSlice(dataStart + offset, length);
        }

        private void checkNow(String name, List<MemorySegment> parts, long crc) {
            if (verifyNow && CrcCheckedMatrix.crc32c(parts) != crc) throw file.error("tensor " + name + " is corrupt (CRC32C mismatch)");
        }

        void checkNoOverlap() {
            ranges.sort((a, b) -> Long.compare(a[0], b[0]));
            for (int i = 1; i < ranges.size(); i++) {
                if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                    throw new JsonException("tensor data " + rangeNames.get((int) ranges.get(i - 1)[2]) + " and "
                            + rangeNames.get((int) ranges.get(i)[2]) + " overlap");
                }
            }
        }
    }

    /** Checks every tensor's checksum now (for {@code lowbit verify}); returns how many were checked. */
    public static int verifyAll(Contents contents) {
        int n = 0;
        for (WeightMatrix m : NamedWeights.of(contents.weights()).matrices().values()) {
            if (m instanceof CrcCheckedMatrix c) {
                c.verify();
                n++;
            }
        }
        return n;
    }

    /** The storage behind a possibly checksum-wrapped matrix. */
    public static WeightMatrix unwrap(WeightMatrix m) {
        return m instanceof CrcCheckedMatrix c ? c.inner() : m;
    }

}
