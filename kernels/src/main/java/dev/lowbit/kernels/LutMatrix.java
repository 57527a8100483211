package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Low-bit weights in the {@code lut64s} layout ({@link LutLayout}), multiplied by table lookup (docs/KERNELS.md):
 * the input is prepared into {@link LutTables} (its {@link #inputForm}, {@link LutInput}), and a
 * {@link LookupKernel} sums table entries picked by the weights' 4-bit indices. On AVX2, 4-bit integer codes run
 * the dot-product kernel instead ({@link LutDotAvx2Kernel}, on the input quantized to 8 bits). One token's product is
 * split into units ({@link #units}): a few tiles of 64 rows over one part of the inputs
 * ({@link LutGeometry#PART_BYTES}). Batches (prefill) run as the kernel says ({@link LutKernel#prefill}).
 */
public final class LutMatrix implements WeightMatrix {
    private final LutLayout layout;
    private final float[] levels;
    private final MemorySegment data;
    private final LutGeometry geometry;
    private final LutKernel kernel;
    private final InputForm form;

    /** A matrix on the kernel this JVM runs ({@link LutKernels#chosen}). */
    public LutMatrix(LutLayout layout, float[] levels, MemorySegment data) {
        this(layout, levels, data, LutKernels.chosen());
    }

    private LutMatrix(LutLayout layout, float[] levels, MemorySegment data, LutKernel kernel) {
        if (levels.length != 1 << layout.bits()) throw new IllegalArgumentException(levels.length + " levels for " + layout.bits() + " bits");
        for (float l : levels) if (!Float.isFinite(l)) throw new IllegalArgumentException("non-finite level " + l);
        if (data.byteSize() != layout.totalBytes()) {
            throw new IllegalArgumentException("packed data has " + data.byteSize() + " bytes, layout needs " + layout.totalBytes());
        }
        this.layout = layout;
        this.levels = levels.clone();
        this.data = WeightMemory.nativeOf(data);
        this.geometry = new LutGeometry(layout);
        this.kernel = kernel.forMatrix(layout, levels);
        this.form = this.kernel.inputForm(layout, levels);
    }

    /** The same weights on another kernel, or the one it runs them on ({@link LutKernel#forMatrix}): tests run every kernel on every machine. */
    public LutMatrix on(LutKernel kernel) {
        return new LutMatrix(layout, levels, data, kernel);
    }

    public LutLayout layout() { return layout; }
    LutGeometry geometry() { return geometry; }
    public LutKernel kernel() { return kernel; }
    /** How many parts the inputs are summed in ({@link LutGeometry#PART_BYTES}). */
    int parts() { return geometry.parts(); }
    public float[] levels() { return levels.clone(); }
    /** The levels themselves, for the kernels, which do not change them. */
    float[] levelsView() { return levels; }
    public MemorySegment data() { return data; }
    /** Where the kernels read the weights, through {@link WeightMemory#EVERYWHERE}; their memory must still be there. */
    long address() {
        WeightMemory.checkAlive(data);
        return data.address();
    }

    @Override public int rows() { return layout.rows(); }
    @Override public int cols() { return layout.cols(); }
    @Override public long byteSize() { return data.byteSize(); }
    @Override public String typeName() { return "lut" + layout.bits() + "/g" + layout.effectiveGroup(); }
    @Override public InputForm inputForm() { return form; }

    /** One token: its input prepared here; a batch: as the kernel runs prefill ({@link LutKernel#prefill}). */
    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        if (batch == 1) multiplyTokens(x, y, 1, pool);
        else kernel.prefill(this, x, y, batch, pool);
    }

    /** Each of {@code batch} tokens on its own through the table-lookup kernel. */
    void multiplyTokens(float[] x, float[] y, int batch, WorkerPool pool) {
        PreparedInput t = form.newInput();
        float[] xt = batch == 1 ? x : new float[cols()], yt = batch == 1 ? y : new float[rows()];
        for (int token = 0; token < batch; token++) {
            if (batch > 1) System.arraycopy(x, token * cols(), xt, 0, cols());
            t.prepare(xt);
            multiply(t, yt, pool);
            if (batch > 1) System.arraycopy(yt, 0, y, token * rows(), rows());
        }
    }

    @Override
    public void multiply(PreparedInput in, float[] y, WorkerPool pool) {
        float[] partials = ((TileInput) in).partials(partialFloats());
        pool.parallelChunks(units(), 1, (from, to) -> {
            for (int unit = from; unit < to; unit++) multiplyUnit(unit, in, y, partials, 0);
        });
        addPartials(y, partials, 0);
    }

    /** Units of work: {@link LutKernel#tilesPerUnit} tiles over one part of the inputs. */
    @Override
    public int units() {
        return (layout.tiles() + kernel.tilesPerUnit() - 1) / kernel.tilesPerUnit() * geometry.parts();
    }

    /** Part 0 writes y; later parts write their own rows of partials, added in part order by {@link #addPartials}. */
    @Override
    public void multiplyUnit(int unit, PreparedInput in, float[] y, float[] partials, int at) {
        int parts = geometry.parts(), tiles = unit / parts * kernel.tilesPerUnit(), part = unit % parts;
        if (part == 0) kernel.gemv(this, tiles, 0, in, y, 0);
        else kernel.gemv(this, tiles, part, in, partials, at + (part - 1) * rows());
    }

    @Override
    public int partialFloats() {
        return (geometry.parts() - 1) * rows();
    }

    @Override
    public void addPartials(float[] y, float[] partials, int at) {
        for (int p = 1; p < geometry.parts(); p++) VectorOps.add(y, 0, partials, at + (p - 1) * rows(), rows());
    }

    /** The scalar reference of this matrix's kernel over all rows, on x prepared as it prepares it (tests compare every kernel with it). */
    public void multiplyReference(float[] x, float[] y) {
        on(kernel.reference()).multiply(x, y, 1, WorkerPool.SERIAL);
    }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        java.util.Objects.checkIndex(row, layout.rows());
        int tile = row / LutLayout.TILE, r = row % LutLayout.TILE, g = layout.inputsPerPosition(), bits = layout.bits();
        int mask = (1 << bits) - 1;
        long base = tile * geometry.tileBytes;
        for (int k = 0; k < layout.groups(); k++) {
            long meta = base + geometry.metaOffset[k], at = base + geometry.chunkOffset[k];
            float scale = layout.scaleFormat().read(data.asSlice(meta), r);
            float shift = layout.hasOffsets() ? ScaleFormat.F16.read(data.asSlice(meta + (long) LutLayout.TILE * layout.scaleFormat().bytes()), r) : 0f;
            for (int j = layout.firstBlock(k); j < layout.endBlock(k); j++) {
                int n = layout.blockInputs(j), a0 = j * LutLayout.BLOCK;
                for (int p = 0, np = layout.blockPositions(j); p < np; p++) {
                    int b = data.get(ValueLayout.JAVA_BYTE, at + (long) (p / 2) * LutLayout.TILE + LutLayout.chunkByte(r)) & 0xFF;
                    int index = (p & 1) == 0 ? b & 15 : b >>> 4;
                    for (int d = 0; d < g; d++) {
                        int input = p * g + d;
                        if (input < n) dst[offset + a0 + input] = scale * levels[(index >>> (d * bits)) & mask] + shift;
                    }
                }
                at += (long) layout.blockPositions(j) / 2 * LutLayout.TILE;
            }
        }
    }
}
