package dev.lowbit.engine.format.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes GGUF v3 files for tests, following the spec independently of the reader. */
public final class GgufWriter {
    record Tensor(String name, long[] shape, int type, byte[] data) {}

    final Map<String, Object> metadata = new LinkedHashMap<>();
    final List<Tensor> tensors = new ArrayList<>();
    int alignment = 32;
    /** Data offsets to write instead of the computed ones (for corrupt files). */
    final Map<String, Long> forcedOffsets = new LinkedHashMap<>();

    public GgufWriter put(String key, Object value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter tensor(String name, int type, byte[] data, long... shape) {
        tensors.add(new Tensor(name, shape, type, data));
        return this;
    }

    /** Lets a helper add to this writer inside a chain of calls. */
    GgufWriter apply(java.util.function.Consumer<GgufWriter> f) {
        f.accept(this);
        return this;
    }

    public static byte[] f32(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    /** IEEE half precision, round to nearest even. */
    public static byte[] f16(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putShort(Float.floatToFloat16(f));
        return b.array();
    }

    public byte[] bytes() {
        Out out = new Out();
        out.bytes(new byte[] {'G', 'G', 'U', 'F'});
        out.i32(3);
        out.i64(tensors.size());
        out.i64(metadata.size());
        metadata.forEach((k, v) -> {
            out.string(k);
            out.value(v);
        });
        long offset = 0;
        List<Long> offsets = new ArrayList<>();
        for (Tensor t : tensors) {
            out.string(t.name());
            out.i32(t.shape().length);
            for (long d : t.shape()) out.i64(d);
            out.i32(t.type());
            out.i64(forcedOffsets.getOrDefault(t.name(), offset));
            offsets.add(offset);
            offset = (offset + t.data().length + alignment - 1) / alignment * alignment;
        }
        out.pad(alignment);
        long start = out.size();
        for (int i = 0; i < tensors.size(); i++) {
            while (out.size() < start + offsets.get(i)) out.bytes(new byte[1]);
            out.bytes(tensors.get(i).data());
        }
        return out.toByteArray();
    }

    /** Little-endian GGUF primitives; value types are chosen from the Java type. */
    private static final class Out extends ByteArrayOutputStream {
        void bytes(byte[] b) {
            write(b, 0, b.length);
        }

        void i32(int v) {
            bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        void i64(long v) {
            bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            bytes(b);
        }

        void pad(int alignment) {
            while (size() % alignment != 0) write(0);
        }

        void value(Object v) {
            switch (v) {
                case String s -> { i32(8); string(s); }
                case Integer i -> { i32(4); i32(i); }
                case Long l -> { i32(10); i64(l); }
                case Float f -> { i32(6); i32(Float.floatToRawIntBits(f)); }
                case Boolean b -> { i32(7); write(b ? 1 : 0); }
                case String[] a -> { i32(9); i32(8); i64(a.length); for (String s : a) string(s); }
                case float[] a -> { i32(9); i32(6); i64(a.length); for (float f : a) i32(Float.floatToRawIntBits(f)); }
                case int[] a -> { i32(9); i32(5); i64(a.length); for (int i : a) i32(i); }
                default -> throw new IllegalArgumentException(v.getClass().toString());
            }
        }
    }
}
