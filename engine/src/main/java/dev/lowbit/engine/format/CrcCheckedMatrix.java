package dev.lowbit.engine.format;

import dev.lowbit.engine.ModelFileException;
import dev.lowbit.kernels.InputForm;
import dev.lowbit.kernels.PreparedInput;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Verifies a tensor's CRC32C the first time it is used, so that opening a file does not read every byte, yet
 * no corrupt weight is ever computed with. Afterwards the check costs one volatile read per call.
 */
final class CrcCheckedMatrix implements WeightMatrix {
    private final WeightMatrix inner;
    private final Path file;
    private final String name;
    private final List<MemorySegment> parts;
    private final long expected;
    private volatile boolean verified;

    CrcCheckedMatrix(WeightMatrix inner, Path file, String name, List<MemorySegment> parts, long expected) {
        this.inner = inner;
        this.file = file;
        this.name = name;
        this.parts = parts;
        this.expected = expected;
    }

    /** The wrapped matrix (for writers and inspectors that need the storage type). */
    WeightMatrix inner() {
        return inner;
    }

    void verify() {
        if (verified) return;
        synchronized (this) {
            if (verified) return;
            long actual = crc32c(parts);
            if (actual != expected) {
                throw new ModelFileException(file, "tensor " + name + " is corrupt (CRC32C " + Long.toHexString(actual)
                        + ", header says " + Long.toHexString(expected) + ")");
            }
            verified = true;
        }
    }

    static long crc32c(List<MemorySegment> parts) {
        CRC32C crc = new CRC32C();
        try {
            for (MemorySegment part : parts) SegmentBytes.forEach(part, (chunk, offset) -> crc.update(chunk));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // not thrown: the sink does no I/O
        }
        return crc.getValue();
    }

    @Override public int rows() { return inner.rows(); }
    @Override public int cols() { return inner.cols(); }
    @Override public long byteSize() { return inner.byteSize(); }
    @Override public String typeName() { return inner.typeName(); }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        verify();
        inner.multiply(x, y, batch, pool);
    }

    @Override
    public InputForm inputForm() {
        return inner.inputForm();
    }

    @Override
    public void multiply(PreparedInput in, float[] y, WorkerPool pool) {
        verify();
        inner.multiply(in, y, pool);
    }

    @Override
    public int units() {
        return inner.units();
    }

    @Override
    public void multiplyUnit(int unit, PreparedInput in, float[] y, float[] partials, int at) {
        verify();
        inner.multiplyUnit(unit, in, y, partials, at);
    }

    @Override
    public int partialFloats() {
        return inner.partialFloats();
    }

    @Override
    public void addPartials(float[] y, float[] partials, int at) {
        inner.addPartials(y, partials, at);
    }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        verify();
        inner.readRow(row, dst, offset);
    }
}
