package dev.lowbit.engine.format.hf;

import dev.lowbit.engine.format.MappedFile;
import dev.lowbit.engine.json.Json;
import dev.lowbit.engine.json.JsonException;
import dev.lowbit.engine.json.JsonObject;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code .safetensors} file: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the data. Every length, dtype, shape and range is checked before use.
 */
public record SafetensorsFile(MappedFile file, Map<String, Tensor> tensors) {
    /** Longest header accepted: real ones are kilobytes to a few megabytes. */
    private static final long MAX_HEADER = 100L << 20;

    public enum DType {
        F32(4), F16(2), BF16(2), F64(8), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1), F8_E4M3(1), F8_E5M2(1);
        public final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    /** One tensor: absolute byte offset in the file and its size. */
    public record Tensor(String name, DType dtype, long[] shape, long offset, long bytes) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        /** Rows {@code from .. from+count)} of this row-major matrix as a tensor of its own (Phi-3's fused projections, split). */
        public Tensor rows(String newName, long from, long count) {
            if (shape.length != 2 || from < 0 || count <= 0 || from + count > shape[0]) {
                throw new IllegalArgumentException("rows " + from + ".." + (from + count) + " of tensor " + name + " with " + (shape.length == 2 ? shape[0] : 0) + " rows");
            }
            long rowBytes = shape[1] * dtype.bytes;
            return new Tensor(newName, dtype, new long[] {count, shape[1]}, offset + from * rowBytes, count * rowBytes);
        }
    }

    public static SafetensorsFile read(MappedFile file) {
        if (file.size() < 8) throw file.error("too short for a safetensors header");
        long headerLength = file.segment().get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength <= 1 || headerLength > MAX_HEADER || headerLength > file.size() - 8) {
            throw file.error("header length " + Long.toUnsignedString(headerLength) + " does not fit the file of " + file.size() + " bytes");
        }
        byte[] headerBytes = file.segment().asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        JsonObject header;
        try {
            header = JsonObject.of(Json.parse(new String(headerBytes, StandardCharsets.UTF_8).stripTrailing()), "header");
        } catch (JsonException e) {
            throw file.error("invalid JSON header: " + e.getMessage());
        }
        long dataStart = 8 + headerLength, dataSize = file.size() - dataStart;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String name : header.map().keySet()) {
            if (name.equals("__metadata__")) continue;
            try {
                JsonObject t = header.object(name);
                String dt = t.string("dtype");
                DType dtype;
                try {
                    dtype = DType.valueOf(dt);
                } catch (IllegalArgumentException e) {
                    throw new JsonException("tensor '" + name + "' has unknown dtype " + dt);
                }
                long[] shape = t.longs("shape");
                long elements = 1;
                for (long d : shape) {
                    if (d < 0 || d > Integer.MAX_VALUE) throw new JsonException("tensor '" + name + "' has dimension " + d);
                    elements = Math.multiplyExact(elements, d);
                }
                long[] range = t.longs("data_offsets");
                if (range.length != 2 || range[0] < 0 || range[1] < range[0] || range[1] > dataSize) {
                    throw new JsonException("tensor '" + name + "' data_offsets " + java.util.Arrays.toString(range) + " lie outside the "
                            + dataSize + " data bytes");
                }
                long expected = Math.multiplyExact(elements, dtype.bytes);
                if (range[1] - range[0] != expected) {
                    throw new JsonException("tensor '" + name + "' holds " + (range[1] - range[0]) + " bytes, but " + dtype + " "
                            + java.util.Arrays.toString(shape) + " needs " + expected);
                }
                tensors.put(name, new Tensor(name, dtype, shape, dataStart + range[0], expected));
            } catch (JsonException | ArithmeticException e) {
                throw file.error(e instanceof ArithmeticException ? "tensor '" + name + "' is too large" : e.getMessage());
            }
        }
        List<Tensor> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(Tensor::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            Tensor a = byOffset.get(i - 1), b = byOffset.get(i);
            if (a.offset() + a.bytes() > b.offset()) throw file.error("tensors '" + a.name() + "' and '" + b.name() + "' overlap");
        }
        return new SafetensorsFile(file, tensors);
    }
}
