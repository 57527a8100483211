package dev.lowbit.engine.format;

import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.tokenizer.Tokenizer;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.F16Matrix;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.Int8Matrix;
import dev.lowbit.kernels.SplitLutMatrix;
import dev.lowbit.kernels.LutMatrix;
import dev.lowbit.kernels.ScaleFormat;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.engine.json.Json;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@code .lowbit} file atomically: everything goes to a temporary file beside the target, which is
 * renamed over it only when complete. An interrupted or failed write leaves no file behind.
 */
public final class LowbitWriter {
    private LowbitWriter() {}

    /** One tensor's bytes, in the order its parts are stored. */
    private record Part(String name, MemorySegment data) {}

    private record Entry(Map<String, Object> json, List<Part> parts) {}

    public static void write(Path out, LlamaConfig config, Tokenizer tokenizer, String chatTemplate,
                             Map<String, Object> quantization, LlamaWeights weights, boolean force) {
        if (Files.exists(out) && !force) throw new LowbitException(out + ": already exists (use --force to overwrite)");
        if (Files.isDirectory(out)) throw new LowbitException(out + ": is a directory");
        NamedWeights named = NamedWeights.of(weights);
        List<Entry> entries = new ArrayList<>();
        named.vectors().forEach((name, v) -> entries.add(vector(name, v)));
        named.matrices().forEach((name, m) -> entries.add(matrix(name, LowbitFile.unwrap(m))));

        // Offsets relative to the data section, each part 64-byte aligned.
        long offset = 0;
        List<Object> directory = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> parts = new LinkedHashMap<>();
            List<MemorySegment> segments = new ArrayList<>();
            for (Part p : e.parts()) {
                parts.put(p.name(), List.of(offset, p.data().byteSize()));
                segments.add(p.data());
                offset = LowbitFile.align(offset + p.data().byteSize());
            }
            e.json().put("parts", parts);
            e.json().put("crc32c", CrcCheckedMatrix.crc32c(segments));
            directory.add(e.json());
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("format", "lowbit");
        header.put("version", LowbitFile.VERSION);
        header.put("model", LowbitFile.configJson(config, weights.tiedClassifier()));
        header.put("tokenizer", TokenizerJson.write(tokenizer));
        header.put("chat_template", chatTemplate);
        header.put("quantization", quantization);
        header.put("tensors", directory);
        byte[] headerBytes = Json.write(header).getBytes(StandardCharsets.UTF_8);
        long dataStart = LowbitFile.align(LowbitFile.PREFIX_BYTES + headerBytes.length);

        Path dir = out.toAbsolutePath().getParent();
        Path tmp;
        try {
            removeOrphans(dir, out.getFileName().toString());
            // Not Files.createTempFile: that makes the file owner-only, and the result should get the usual permissions.
            // The writer's process id in the name tells a later run whether the writer still lives.
            tmp = Files.createFile(dir.resolve(partialPrefix(out.getFileName().toString()) + ProcessHandle.current().pid() + "."
                    + Long.toHexString(System.nanoTime()) + ".partial"));
        } catch (IOException e) {
            throw new LowbitException(out + ": cannot create a file in " + dir + ": " + e.getMessage());
        }
        Thread cleanup = new Thread(() -> deleteQuietly(tmp));
        Runtime.getRuntime().addShutdownHook(cleanup); // Ctrl-C during the write removes the partial file
        boolean done = false;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer prefix = ByteBuffer.allocate(LowbitFile.PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            prefix.put(LowbitFile.MAGIC).putInt(LowbitFile.VERSION).putInt(0).putLong(headerBytes.length).flip();
            writeFully(ch, prefix, 0);
            writeFully(ch, ByteBuffer.wrap(headerBytes), LowbitFile.PREFIX_BYTES);
            long at = 0;
            for (Entry e : entries) {
                for (Part p : e.parts()) {
                    long start = dataStart + at;
                    SegmentBytes.forEach(p.data(), (chunk, from) -> writeFully(ch, chunk, start + from));
                    at = LowbitFile.align(at + p.data().byteSize());
                }
            }
            if (ch.size() < dataStart + at) writeFully(ch, ByteBuffer.allocate(1), dataStart + at - 1); // final padding
            ch.force(true);
            ch.close();
            move(tmp, out);
            done = true;
        } catch (IOException e) {
            throw new LowbitException(out + ": write failed: " + e.getMessage());
        } finally {
            if (!done) deleteQuietly(tmp);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already and deletes the partial file
            }
        }
    }

    private static String partialPrefix(String name) {
        return "." + name + ".";
    }

    /**
     * Deletes the temporary files of earlier writes of {@code name} whose process is gone (killed with {@code kill -9}
     * or by power loss, past any shutdown hook), so that they do not pile up beside the output.
     */
    static void removeOrphans(Path dir, String name) throws IOException {
        String prefix = partialPrefix(name);
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (!n.startsWith(prefix) || !n.endsWith(".partial")) continue;
                String[] rest = n.substring(prefix.length(), n.length() - ".partial".length()).split("\\.");
                long pid;
                try {
                    pid = Long.parseLong(rest[0]);
                } catch (NumberFormatException e) {
                    continue; // not one of ours (or from before the process id was in the name)
                }
                if (rest.length == 2 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) deleteQuietly(f);
            }
        }
    }

    private static void move(Path tmp, Path out) throws IOException {
        try {
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("already exists", e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) position += ch.write(b, position);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: nothing else can be done
        }
    }

    private static Entry vector(String name, float[] v) {
        MemorySegment seg = MemorySegment.ofArray(new byte[4 * v.length]);
        MemorySegment.copy(v, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v.length);
        Map<String, Object> json = base(name, "f32", List.of(v.length));
        return new Entry(json, List.of(new Part("data", seg)));
    }

    private static Entry matrix(String name, WeightMatrix m) {
        List<Object> shape = List.of(m.rows(), m.cols());
        return switch (m) {
            case F32Matrix f -> new Entry(base(name, "f32", shape), List.of(new Part("data", f.data())));
            case F16Matrix f -> new Entry(base(name, "f16", shape), List.of(new Part("data", f.data())));
            case CodebookMatrix c -> {
                Map<String, Object> json = base(name, "codebook", shape);
                json.put("layout", LowbitFile.CODE_LAYOUT);
                json.put("bits", c.layout().bits());
                json.put("group_size", c.layout().groupSize());
                json.put("scale_format", c.scaleFormat() == ScaleFormat.F16 ? "f16" : "e8m0");
                json.put("levels", c.levels());
                List<Part> parts = new ArrayList<>(List.of(new Part("codes", c.codes()), new Part("scales", c.scales())));
                if (c.offsets() != null) parts.add(new Part("offsets", c.offsets()));
                yield new Entry(json, parts);
            }
            case Int8Matrix i -> matrix(name, i.codebook());
            case SplitLutMatrix s -> matrix(name, s.codebook());
            case LutMatrix l -> {
                Map<String, Object> json = base(name, "codebook", shape);
                json.put("layout", l.layout().scalesFirst() ? LowbitFile.LUT_LAYOUT : LowbitFile.LUT_LAYOUT_INTERLEAVED);
                json.put("bits", l.layout().bits());
                json.put("group_size", l.layout().effectiveGroup());
                json.put("scale_format", l.layout().scaleFormat() == ScaleFormat.F16 ? "f16" : "e8m0");
                json.put("offsets", l.layout().hasOffsets());
                json.put("levels", l.levels());
                yield new Entry(json, List.of(new Part("data", l.data())));
            }
            // Others (bf16 from a Hugging Face checkpoint, kept with --keep) as f32: exact for bf16. A heap segment
            // holds the floats in the platform's order, little-endian on every CPU lowbit runs on.
            default -> new Entry(base(name, "f32", shape), List.of(new Part("data", MemorySegment.ofArray(m.readAll()))));
        };
    }

    private static Map<String, Object> base(String name, String type, List<Object> shape) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", name);
        json.put("type", type);
        json.put("shape", shape);
        return json;
    }
}
