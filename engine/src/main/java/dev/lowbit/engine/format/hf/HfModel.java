package dev.lowbit.engine.format.hf;

import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.format.MappedFile;
import dev.lowbit.engine.format.gguf.GgmlMatrix;
import dev.lowbit.engine.format.gguf.GgmlType;
import dev.lowbit.engine.json.JsonException;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.model.FusedRows;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.tokenizer.PreTokenizer;
import dev.lowbit.engine.tokenizer.Tokenizer;
import dev.lowbit.engine.tokenizer.VocabMergesFiles;
import dev.lowbit.kernels.Bf16Matrix;
import dev.lowbit.kernels.F16Matrix;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face model folder: {@code config.json}, weights in {@code model.safetensors} or the shards listed in
 * {@code model.safetensors.index.json} (memory-mapped, F32/F16/BF16), the tokenizer ({@code tokenizer.json}, or
 * {@code vocab.json} + {@code merges.txt}) and {@code tokenizer_config.json} (chat template, {@code add_bos_token}).
 */
public record HfModel(HfConfig config, LlamaWeights weights, Tokenizer tokenizer, String chatTemplate, boolean addBos,
                      List<MappedFile> files) implements AutoCloseable {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");
    private static final Map<String, String> LAYER_NAMES = Map.ofEntries(
            Map.entry("input_layernorm", "attn_norm"), Map.entry("self_attn.q_proj", "attn_q"), Map.entry("self_attn.k_proj", "attn_k"),
            Map.entry("self_attn.v_proj", "attn_v"), Map.entry("self_attn.o_proj", "attn_output"),
            Map.entry("self_attn.q_norm", "attn_q_norm"), Map.entry("self_attn.k_norm", "attn_k_norm"),
            Map.entry("post_attention_layernorm", "ffn_norm"), Map.entry("mlp.gate_proj", "ffn_gate"), Map.entry("mlp.up_proj", "ffn_up"),
            Map.entry("mlp.down_proj", "ffn_down"), Map.entry("self_attn.qkv_proj", "attn_qkv"), Map.entry("mlp.gate_up_proj", "ffn_gate_up"));
    /** Gemma 2/3: four norms per block; {@code post_attention_layernorm} follows attention, {@code pre_feedforward_layernorm} leads the MLP. */
    private static final Map<String, String> SANDWICH_NORMS = Map.of("post_attention_layernorm", "post_attention_norm",
            "pre_feedforward_layernorm", "ffn_norm", "post_feedforward_layernorm", "post_ffw_norm");

    public static boolean isModelFolder(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve("config.json"));
    }

    public static HfModel read(Path dir, boolean needTokenizer) {
        Path configPath = dir.resolve("config.json");
        if (!Files.isRegularFile(configPath)) throw new ModelFileException(dir, "no config.json: not a Hugging Face model folder");
        HfConfig config;
        try {
            config = HfConfig.parse(JsonObject.readFile(configPath));
        } catch (JsonException e) {
            throw new ModelFileException(configPath, e.getMessage());
        }
        List<MappedFile> files = new ArrayList<>();
        try {
            LlamaWeights weights = weights(dir, config, files);
            JsonObject tokConfig = Files.isRegularFile(dir.resolve("tokenizer_config.json")) ? JsonObject.readFile(dir.resolve("tokenizer_config.json")) : null;
            // As transformers decides: tokenizer_config.json's add_bos_token when it says; else tokenizer.json's
            // post-processor (Llama 3 and TinyLlama prepend BOS there, Qwen's only maps bytes); else BOS where
            // config.json names one, but for Qwen (which names one and never prepends it).
            boolean explicitBos = tokConfig != null && tokConfig.has("add_bos_token");
            Path tokPath = dir.resolve("tokenizer.json");
            // Read once, and only when the tokenizer or the BOS rule needs it.
            JsonObject tokJson = Files.isRegularFile(tokPath) && (needTokenizer || !explicitBos) ? readJson(tokPath) : null;
            Boolean fromTokenizer = tokJson == null ? null : postProcessorAddsBos(tokJson, config.bos());
            boolean addBos = explicitBos ? tokConfig.bool("add_bos_token")
                    : fromTokenizer != null ? fromTokenizer : config.bos() >= 0 && !config.architecture().startsWith("Qwen");
            Tokenizer tokenizer = needTokenizer ? tokenizer(dir, tokJson, config, addBos ? config.bos() : -1) : null;
            String template = tokConfig == null ? null : chatTemplate(tokConfig);
            return new HfModel(config, weights, tokenizer, template, addBos, files);
        } catch (RuntimeException e) {
            files.forEach(MappedFile::close);
            throw e;
        }
    }

    @Override
    public void close() {
        files.forEach(MappedFile::close);
    }

    private static LlamaWeights weights(Path dir, HfConfig config, List<MappedFile> files) {
        List<Path> shards = new ArrayList<>();
        Path single = dir.resolve("model.safetensors"), index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(single)) {
            shards.add(single);
        } else if (Files.isRegularFile(index)) {
            try {
                for (Object f : new HashSet<>(JsonObject.readFile(index).object("weight_map").map().values())) {
                    String name = String.valueOf(f);
                    if (name.contains("/") || name.contains("\\") || name.startsWith(".")) throw new JsonException("shard name '" + name + "' is not a plain file name");
                    shards.add(dir.resolve(name));
                }
            } catch (JsonException e) {
                throw new ModelFileException(index, e.getMessage());
            }
            shards.sort(null);
        } else if (Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
            throw new ModelFileException(dir, "has only PyTorch .bin weights, which are refused: unpickling them can run arbitrary code."
                    + " Convert once with transformers: AutoModelForCausalLM.from_pretrained(DIR).save_pretrained(OUT, safe_serialization=True)");
        } else {
            throw new ModelFileException(dir, "no model.safetensors or model.safetensors.index.json");
        }
        Map<String, WeightMatrix> matrices = new LinkedHashMap<>();
        Map<String, float[]> vectors = new LinkedHashMap<>();
        for (Path shard : shards) {
            if (!Files.isRegularFile(shard)) throw new ModelFileException(shard, "shard listed in model.safetensors.index.json is missing");
            MappedFile file = MappedFile.open(shard);
            files.add(file);
            for (SafetensorsFile.Tensor t : SafetensorsFile.read(file).tensors().values()) {
                String name = canonical(t.name(), config.sandwichNorms());
                if (name == null) continue;
                if (t.shape().length == 1) {
                    if (vectors.put(name, vector(file, t)) != null) throw file.error("tensor '" + t.name() + "' appears twice");
                } else if (t.shape().length == 2) {
                    for (Map.Entry<String, SafetensorsFile.Tensor> part : unfused(file, name, t, config.config()).entrySet()) {
                        if (matrices.put(part.getKey(), matrix(file, part.getValue())) != null) throw file.error("tensor '" + t.name() + "' appears twice");
                    }
                } else {
                    throw file.error("tensor '" + t.name() + "' has " + t.shape().length + " dimensions");
                }
            }
        }
        if (config.normsOffsetByOne()) vectors.replaceAll((name, v) -> name.endsWith("norm") ? plusOne(v) : v);
        if (config.tiedEmbeddings()) matrices.remove("output");
        try {
            LlamaWeights w = new NamedWeights(matrices, vectors).toWeights(config.config().nLayers());
            w.validate(config.config());
            return w;
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(dir, e.getMessage());
        }
    }

    /**
     * Phi-3's fused projections as the separate matrices lowbit runs: {@code qkv_proj} rows → q, k, v; {@code gate_up_proj}
     * → gate (first half) and up. Any other matrix under its own name.
     */
    private static Map<String, SafetensorsFile.Tensor> unfused(MappedFile file, String name, SafetensorsFile.Tensor t, LlamaConfig c) {
        Map<String, SafetensorsFile.Tensor> out = new LinkedHashMap<>();
        try {
            List<FusedRows> parts = name.endsWith(".attn_qkv") ? FusedRows.qkv(name.substring(0, name.length() - "attn_qkv".length()), c, t.shape()[0])
                    : name.endsWith(".ffn_gate_up") ? FusedRows.gateUp(name.substring(0, name.length() - "ffn_gate_up".length()), c, t.shape()[0])
                    : null;
            if (parts == null) out.put(name, t);
            else for (FusedRows r : parts) out.put(r.name(), t.rows(t.name() + "[" + r.name() + "]", r.from(), r.count()));
        } catch (IllegalArgumentException e) {
            throw file.error("tensor '" + t.name() + "' " + e.getMessage());
        }
        return out;
    }

    private static float[] plusOne(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] + 1f;
        return out;
    }

    /** GGUF-style name for a Hugging Face tensor name; null for tensors the model does not use. */
    static String canonical(String hf) {
        return canonical(hf, false);
    }

    /** @param sandwichNorms Gemma 2/3's naming of the block's four norms */
    static String canonical(String hf, boolean sandwichNorms) {
        switch (hf) {
            case "model.embed_tokens.weight": return "token_embd";
            case "model.norm.weight": return "output_norm";
            case "lm_head.weight": return "output";
            default:
        }
        Matcher m = LAYER.matcher(hf);
        if (!m.matches()) return null;
        String base = sandwichNorms && SANDWICH_NORMS.containsKey(m.group(2)) ? SANDWICH_NORMS.get(m.group(2)) : LAYER_NAMES.get(m.group(2));
        if (base == null) return null;
        return "blk." + m.group(1) + "." + base + (m.group(3).equals("bias") ? ".bias" : "");
    }

    private static WeightMatrix matrix(MappedFile file, SafetensorsFile.Tensor t) {
        int rows = (int) t.shape()[0], cols = (int) t.shape()[1];
        if (rows == 0 || cols == 0) throw file.error("tensor '" + t.name() + "' is empty");
        MemorySegment data = file.slice(t.offset(), t.bytes(), t.name());
        return switch (t.dtype()) {
            case F32 -> new F32Matrix(data, rows, cols);
            case F16 -> new F16Matrix(data, rows, cols);
            case BF16 -> new Bf16Matrix(data, rows, cols);
            default -> throw file.error("tensor '" + t.name() + "' has dtype " + t.dtype() + " (F32, F16 and BF16 are supported)");
        };
    }

    private static float[] vector(MappedFile file, SafetensorsFile.Tensor t) {
        if (t.elements() > 1 << 24) throw file.error("vector '" + t.name() + "' is implausibly long");
        GgmlType type = switch (t.dtype()) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
            default -> throw file.error("tensor '" + t.name() + "' has dtype " + t.dtype() + " (F32, F16 and BF16 are supported)");
        };
        return GgmlMatrix.floats(type, file.slice(t.offset(), t.bytes(), t.name()), (int) t.elements());
    }

    /**
     * Whether tokenizer.json's post-processor puts a special token with BOS's id before a single sequence: true or
     * false when it has a {@code TemplateProcessing} (alone or in a {@code Sequence}), false for one without (Qwen's
     * {@code ByteLevel}), null when there is none.
     */
    static Boolean postProcessorAddsBos(JsonObject root, int bos) {
        if (!root.has("post_processor") || root.map().get("post_processor") == null) return null;
        JsonObject pp = root.object("post_processor");
        java.util.List<JsonObject> processors = new java.util.ArrayList<>();
        if ("Sequence".equals(pp.map().get("type")) && pp.has("processors")) {
            for (Object o : pp.list("processors")) if (o instanceof java.util.Map<?, ?>) processors.add(JsonObject.of(o, "post_processor"));
        } else {
            processors.add(pp);
        }
        for (JsonObject p : processors) {
            if (!"TemplateProcessing".equals(p.map().get("type")) || !p.has("single")) continue;
            java.util.List<Object> single = p.list("single");
            if (single.isEmpty() || !(single.getFirst() instanceof java.util.Map<?, ?> first) || !(first.get("SpecialToken") instanceof java.util.Map<?, ?> st)) {
                return false;
            }
            Object id = st.get("id");
            if (!(id instanceof String name) || !p.has("special_tokens")) return false;
            Object entry = p.object("special_tokens").map().get(name);
            if (entry instanceof java.util.Map<?, ?> e && e.get("ids") instanceof java.util.List<?> ids && !ids.isEmpty() && ids.getFirst() instanceof Number n) {
                return n.intValue() == bos;
            }
            return false;
        }
        return false;
    }

    /** tokenizer.json, parsed; its errors name the file. */
    private static JsonObject readJson(Path file) {
        try {
            return JsonObject.readFile(file);
        } catch (JsonException e) {
            throw new ModelFileException(file, e.getMessage());
        }
    }

    /**
     * @param tokJson tokenizer.json, parsed, or null when the folder has none
     * @param bos the BOS id when the model prepends it, else -1
     */
    private static Tokenizer tokenizer(Path dir, JsonObject tokJson, HfConfig config, int bos) {
        java.util.Set<Integer> stops = new java.util.HashSet<>(config.eos());
        int eos = config.eos().isEmpty() ? -1 : config.eos().getFirst();
        if (tokJson != null) {
            try {
                return HfTokenizerJson.parse(tokJson, dir.getFileName() + "/tokenizer.json", bos, eos, stops);
            } catch (JsonException e) {
                throw new ModelFileException(dir.resolve("tokenizer.json"), e.getMessage());
            }
        }
        if (Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt"))) {
            return VocabMergesFiles.read(dir.resolve("vocab.json"), dir.resolve("merges.txt"), PreTokenizer.named("qwen2"));
        }
        if (Files.isRegularFile(dir.resolve("tokenizer.model"))) return dev.lowbit.engine.format.TokenizerFiles.read(dir.resolve("tokenizer.model"));
        throw new ModelFileException(dir, "no tokenizer.json, vocab.json + merges.txt or tokenizer.model; pass --tokenizer FILE");
    }

    /** {@code chat_template}: a string, or a list of named templates of which "default" is taken. */
    private static String chatTemplate(JsonObject tokConfig) {
        if (!tokConfig.has("chat_template")) return null;
        Object t = tokConfig.map().get("chat_template");
        if (t instanceof String s) return s;
        if (t instanceof List<?> list) {
            for (Object o : list) {
                JsonObject named = JsonObject.of(o, "chat_template[]");
                if (named.string("name").equals("default")) return named.string("template");
            }
        }
        return null;
    }
}
