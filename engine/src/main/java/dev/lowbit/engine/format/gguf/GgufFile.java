package dev.lowbit.engine.format.gguf;

import dev.lowbit.engine.format.MappedFile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed GGUF header (versions 2 and 3): metadata and tensor directory, every count, length, type, shape and
 * offset checked against the file before use. Metadata values: integers as {@code Long}, floats as {@code Float}
 * or {@code Double}, {@code Boolean}, {@code String}, and arrays as {@code long[]}, {@code float[]}, {@code double[]},
 * {@code boolean[]}, {@code String[]} or {@code Object[]} (arrays of arrays).
 */
public record GgufFile(MappedFile file, int version, Map<String, Object> metadata, Map<String, GgufTensorInfo> tensors,
                       long dataOffset) {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    private static final int MAX_DIMS = 4;
    private static final int MAX_NESTING = 4;

    public static boolean hasMagic(MappedFile file) {
        return file.size() >= 4 && file.segment().get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0) == MAGIC;
    }

    public static GgufFile read(MappedFile file) {
        GgufCursor in = new GgufCursor(file, 0);
        if (in.i32("magic") != MAGIC) throw file.error("not a GGUF file (bad magic)");
        long version = in.u32("version");
        if (version == 1) throw file.error("GGUF version 1 is not supported (re-convert the model with a current llama.cpp)");
        if (version != 2 && version != 3) throw file.error("unsupported GGUF version " + version);
        // Each tensor entry takes at least 8 (name) + 4 + 8 + 4 + 8 bytes; each metadata entry at least 8 + 4 + 1.
        long tensorCount = in.count("tensor count", 32);
        long kvCount = in.count("metadata count", 13);
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.string("metadata key");
            if (metadata.containsKey(key)) throw in.error("metadata key '" + key + "' appears twice");
            long type = in.u32("value type of " + key);
            metadata.put(key, value(in, type, key, 0));
        }
        long alignment = 32;
        if (metadata.containsKey("general.alignment")) {
            if (!(metadata.get("general.alignment") instanceof Long a) || a <= 0 || a > (1 << 20) || (a & (a - 1)) != 0) {
                throw file.error("general.alignment must be a power of two, got " + metadata.get("general.alignment"));
            }
            alignment = (Long) metadata.get("general.alignment");
        }
        record Entry(String name, long[] shape, GgmlType type, long relativeOffset, long elements) {}
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = in.string("tensor name");
            if (!seen.add(name)) throw file.error("tensor '" + name + "' appears twice");
            long dims = in.u32("dimension count of " + name);
            if (dims < 1 || dims > MAX_DIMS) throw file.error("tensor '" + name + "' has " + dims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            long[] shape = new long[(int) dims];
            long elements = 1;
            for (int d = 0; d < dims; d++) {
                shape[d] = in.i64("shape of " + name);
                if (shape[d] <= 0 || shape[d] > Integer.MAX_VALUE) throw file.error("tensor '" + name + "' has dimension " + Long.toUnsignedString(shape[d]));
                if (Math.multiplyHigh(elements, shape[d]) != 0 || elements * shape[d] < 0) throw file.error("tensor '" + name + "' has too many elements");
                elements *= shape[d];
            }
            long typeId = in.u32("type of " + name);
            GgmlType type = GgmlType.of(typeId);
            if (type == null) throw file.error("tensor '" + name + "' has unknown type " + typeId);
            if (shape[0] % type.blockSize != 0) {
                throw file.error("tensor '" + name + "': row of " + shape[0] + " is not a whole number of " + type + " blocks of " + type.blockSize);
            }
            long offset = in.i64("offset of " + name);
            if (offset < 0 || offset % alignment != 0) throw file.error("tensor '" + name + "' offset " + Long.toUnsignedString(offset) + " is not aligned to " + alignment);
            entries.add(new Entry(name, shape, type, offset, elements));
        }
        long dataOffset = (in.position() + alignment - 1) / alignment * alignment;
        Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            long bytes = e.type().bytesFor(e.elements());
            long start = dataOffset + e.relativeOffset();
            if (start < 0 || start > file.size() || bytes > file.size() - start) {
                throw file.error("tensor '" + e.name() + "' (" + bytes + " bytes at data offset " + e.relativeOffset() + ") lies past the end of the file");
            }
            tensors.put(e.name(), new GgufTensorInfo(e.name(), e.shape(), e.type(), start, bytes));
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensorInfo a = byOffset.get(i - 1), b = byOffset.get(i);
            if (a.offset() + a.bytes() > b.offset()) throw file.error("tensors '" + a.name() + "' and '" + b.name() + "' overlap");
        }
        return new GgufFile(file, (int) version, metadata, tensors, dataOffset);
    }

    private static Object value(GgufCursor in, long type, String key, int depth) {
        return switch ((int) type) {
            case 0 -> (long) in.u8(key);
            case 1 -> (long) (byte) in.u8(key);
            case 2 -> (long) in.u16(key);
            case 3 -> (long) (short) in.u16(key);
            case 4 -> in.u32(key);
            case 5 -> (long) in.i32(key);
            case 6 -> Float.intBitsToFloat(in.i32(key));
            case 7 -> {
                int b = in.u8(key);
                if (b > 1) throw in.error(key + ": boolean value " + b);
                yield b == 1;
            }
            case 8 -> in.string(key);
            case 9 -> array(in, key, depth);
            case 10, 11 -> in.i64(key);
            case 12 -> Double.longBitsToDouble(in.i64(key));
            default -> throw in.error(key + ": unknown metadata value type " + type);
        };
    }

    private static Object array(GgufCursor in, String key, int depth) {
        if (depth >= MAX_NESTING) throw in.error(key + ": arrays nested deeper than " + MAX_NESTING);
        long type = in.u32(key + " element type");
        int size = switch ((int) type) {
            case 0, 1, 7 -> 1;
            case 2, 3 -> 2;
            case 4, 5, 6 -> 4;
            case 10, 11, 12, 8, 9 -> 8; // strings and arrays start with an 8-byte length
            default -> throw in.error(key + ": unknown array element type " + type);
        };
        int n = Math.toIntExact(Math.min(in.count(key + " element count", size), Integer.MAX_VALUE));
        switch ((int) type) {
            case 6 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) a[i] = Float.intBitsToFloat(in.i32(key));
                return a;
            }
            case 12 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) a[i] = Double.longBitsToDouble(in.i64(key));
                return a;
            }
            case 7 -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) a[i] = (Boolean) value(in, 7, key, depth);
                return a;
            }
            case 8 -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) a[i] = in.string(key + "[" + i + "]");
                return a;
            }
            case 9 -> {
                Object[] a = new Object[n];
                for (int i = 0; i < n; i++) a[i] = array(in, key, depth + 1);
                return a;
            }
            default -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) a[i] = (Long) value(in, type, key, depth);
                return a;
            }
        }
    }

    /** The metadata value of {@code key} as the given type, or {@code fallback} when absent. */
    public <T> T get(String key, Class<T> type, T fallback) {
        Object v = metadata.get(key);
        if (v == null) return fallback;
        if (!type.isInstance(v)) throw file.error("metadata " + key + " is a " + v.getClass().getSimpleName() + ", expected " + type.getSimpleName());
        return type.cast(v);
    }

    public <T> T require(String key, Class<T> type) {
        T v = get(key, type, null);
        if (v == null) throw file.error("metadata " + key + " is missing");
        return v;
    }

    /** An integer value that must lie in [min, max]. */
    public int integer(String key, int min, int max, Integer fallback) {
        Long v = get(key, Long.class, fallback == null ? null : fallback.longValue());
        if (v == null) throw file.error("metadata " + key + " is missing");
        if (v < min || v > max) throw file.error("metadata " + key + " = " + v + " is out of range " + min + ".." + max);
        return v.intValue();
    }

    /** A float value (stored as float32 or float64). */
    public float number(String key, float fallback) {
        Object v = metadata.get(key);
        if (v == null) return fallback;
        if (v instanceof Float f) return f;
        if (v instanceof Double d) return d.floatValue();
        throw file.error("metadata " + key + " is not a number");
    }
}
