package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Low-bit weights multiplied by table lookup (docs/KERNELS.md). A token's GEMV never multiplies a weight:
 * every 4-bit index of 64 rows is looked up in a 16-entry table of precomputed partial sums with one 512-bit
 * byte permute; the biased int8 results are summed in int16 per span of up to 32 positions (two shorts of accumulator
 * per 64 rows, no per-lookup widening), then scaled in float. Without AVX-512 VBMI a 128-bit kernel does the same
 * with 16-byte permutes.
 * Batches (prefill) decode rows to floats once and take dot products for all tokens.
 */
public final class LutMatrix implements WeightMatrix {
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_512;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    // The portable kernel's species: 16-byte lookups, sums widened to 8 floats.
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S128 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /** Lane r takes the byte of row r: undoes the chunk byte order ({@link LutLayout#chunkByte}). */
    private static final jdk.incubator.vector.VectorShuffle<Byte> ROW_ORDER =
            jdk.incubator.vector.VectorShuffle.fromOp(B, LutLayout::chunkByte);
    /**
     * Where row r of a tile sits in the 512-bit kernel's outputs and scales: rows 0, 2, …, 30, then 1, 3, …, 31,
     * then 32, 34, …, 62, then 33, …, 63 — the order in which {@link #flushFour} recovers the sums (for four tiles).
     */
    private static final int[] PAIRED = new int[4 * LutLayout.TILE];
    static {
        for (int r = 0; r < PAIRED.length; r++) {
            int t = r / 64, q = r % 64;
            PAIRED[r] = 64 * t + (q >= 32 ? 32 : 0) + (q % 2) * 16 + (q % 32) / 2;
        }
    }
    /**
     * The 512-bit kernel's scratch, one per thread: quads are handed out one at a time, so it is not allocated per
     * call. It also holds the thread's tables for the current call.
     */
    private static final class Scratch {
        final float[] meta = new float[4 * 2 * LutLayout.TILE]; // per tile: 64 scales, 64 offsets (0 when absent)
        final float[] out = new float[4 * LutLayout.TILE];
        final short[] acc = new short[4 * LutLayout.TILE];
        final long[] metaAt = new long[4];
        private long call = -1;
        private LutTables[] tables = new LutTables[0];
        private float[] partials = new float[0];

        /** Room for the outputs of parts after the first, of the call this thread makes. */
        float[] partials(int size) {
            if (partials.length < size) partials = new float[size];
            return partials;
        }

        /**
         * The tables of {@code ms} for input x, this thread's own: each thread builds (or finds in its cache) the
         * tables it reads at its first unit of a call, rather than all threads building one set in a parallel
         * loop of its own before the GEMV. That loop was a dispatch and a wait per table (~20 µs at 2 threads for
         * 2048 inputs, of which ~4 µs is building) and left half the tables in the other core's cache.
         */
        LutTables[] tablesFor(long call, LutMatrix[] ms, float[] x) {
            if (this.call != call) {
                if (tables.length < ms.length) tables = new LutTables[ms.length];
                for (int i = 0; i < ms.length; i++) tables[i] = ms[i].cache.get(ms[i].layout, ms[i].levels, x, 0, WorkerPool.SERIAL);
                this.call = call;
            }
            return tables;
        }
    }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** One table cache per kind of weights, shared by all matrices of that kind (same levels, input width and groups). */
    private static final Map<String, LutTables.Cache> CACHES = new ConcurrentHashMap<>();
    /**
     * Bytes of codes per row in a part: a matrix's inputs are split into parts of whole groups holding about this
     * many (2048 inputs of 4-bit codes, 8192 of 1-bit ones), each summed on its own and the parts then added in
     * order, by every kernel and the reference alike. A unit of parallel work is a part of a quad of tiles, so wide
     * matrices (the FFN down projection) are handed out in pieces as large as those of the others: at the end of a
     * loop one thread waits for the other's last piece, and each piece has fixed costs (parts of 1024 4-bit inputs,
     * or 2048 inputs of 1-bit codes, were slower).
     */
    static final int PART_BYTES = 1024;
    /** Numbers the GEMV calls, so that a thread knows when its tables are from an earlier call. */
    private static final AtomicLong CALLS = new AtomicLong();

    private final LutLayout layout;
    private final float[] levels;
    private final MemorySegment data;
    private final LutTables.Cache cache;
    private final long[] metaOffset;    // byte offset of each group's scales within a tile
    private final long[] chunkOffset;   // byte offset of each group's first chunk within a tile
    private final int[] groupBlocks;    // first block of each group, and the end: groups + 1 entries
    private final int[] blockPositions; // padded positions of each block
    private final int[] groupSpans;     // first span of each group, and the end: groups + 1 entries
    private final int[] spanPositions;  // padded positions of each span: the lookups summed before one flush
    private final int[] groupPosition;  // first table position of each group, and the end: groups + 1 entries
    private final int[] partGroups;     // first group of each part, and the end: parts + 1 entries
    private final long tileBytes;
    private final ScaleFormat decodeInFlush; // no offsets: scales decoded in the flush at a group's first span; else null
    private final LutMatrix[] self = {this};

    public LutMatrix(LutLayout layout, float[] levels, MemorySegment data) {
        if (levels.length != 1 << layout.bits()) throw new IllegalArgumentException(levels.length + " levels for " + layout.bits() + " bits");
        for (float l : levels) if (!Float.isFinite(l)) throw new IllegalArgumentException("non-finite level " + l);
        if (data.byteSize() != layout.totalBytes()) {
            throw new IllegalArgumentException("packed data has " + data.byteSize() + " bytes, layout needs " + layout.totalBytes());
        }
        this.layout = layout;
        this.levels = levels.clone();
        this.data = data;
        this.cache = CACHES.computeIfAbsent(layout.cols() + "/" + layout.bits() + "/g" + layout.effectiveGroup() + "/" + java.util.Arrays.toString(levels), k -> new LutTables.Cache());
        // Precomputed so the kernel does no division: the layout's accessors divide.
        this.tileBytes = layout.tileBytes();
        this.decodeInFlush = layout.hasOffsets() ? null : layout.scaleFormat();
        this.blockPositions = new int[layout.blocks()];
        for (int j = 0; j < blockPositions.length; j++) blockPositions[j] = layout.blockPositions(j);
        this.groupBlocks = new int[layout.groups() + 1];
        for (int k = 0; k < layout.groups(); k++) groupBlocks[k + 1] = layout.endBlock(k);
        this.groupSpans = new int[layout.groups() + 1];
        for (int k = 0; k <= layout.groups(); k++) groupSpans[k] = layout.firstSpan(k);
        this.spanPositions = layout.spanPositions();
        this.groupPosition = new int[layout.groups() + 1];
        for (int k = 0; k < layout.groups(); k++) {
            groupPosition[k + 1] = groupPosition[k];
            for (int j = groupBlocks[k]; j < groupBlocks[k + 1]; j++) groupPosition[k + 1] += blockPositions[j];
        }
        int parts = Math.max(1, Math.min(layout.groups(), Math.round(layout.cols() * layout.bits() / 8f / PART_BYTES)));
        this.partGroups = new int[parts + 1];
        for (int p = 0; p <= parts; p++) partGroups[p] = layout.groups() * p / parts;
        this.metaOffset = new long[layout.groups()];
        this.chunkOffset = new long[layout.groups()];
        for (int k = 0; k < layout.groups(); k++) {
            metaOffset[k] = layout.metaOffset(k);
            chunkOffset[k] = layout.chunkOffset(k);
        }
    }

    /** Whether this machine runs the 512-bit kernel (AVX-512 VBMI byte permutes). */
    public static boolean vectorKernelAvailable() {
        return ByteVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }

    /** Whether the 128-bit kernel can run (16-byte permutes, 256-bit floats: AVX2); else the scalar path is used. */
    static boolean portableKernelAvailable() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }

    /** Whether a vector kernel (512-bit or portable) runs here, rather than the scalar reference. */
    public static boolean fastKernelAvailable() {
        return vectorKernelAvailable() || portableKernelAvailable();
    }

    public LutLayout layout() { return layout; }
    /** How many parts the inputs are summed in ({@link #PART_BYTES}). */
    int parts() { return partGroups.length - 1; }
    public float[] levels() { return levels.clone(); }
    public MemorySegment data() { return data; }

    @Override public int rows() { return layout.rows(); }
    @Override public int cols() { return layout.cols(); }
    @Override public long byteSize() { return data.byteSize(); }
    @Override public String typeName() { return "lut" + layout.bits() + "/g" + layout.effectiveGroup(); }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        if (batch > 1 && vectorKernelAvailable()) {
            multiplyDequantized(x, y, batch, pool);
            return;
        }
        if (batch > 1 && portableKernelAvailable()) {
            multiplyDequantizedPortable(x, y, batch, pool);
            return;
        }
        if (batch > 1) {
            // Without 256-bit floats each token takes the scalar path.
            int rows = layout.rows(), cols = layout.cols();
            float[] xt = new float[cols], yt = new float[rows];
            for (int token = 0; token < batch; token++) {
                System.arraycopy(x, token * cols, xt, 0, cols);
                multiply(xt, yt, 1, pool);
                System.arraycopy(yt, 0, y, token * rows, rows);
            }
            return;
        }
        if (!vectorKernelAvailable()) {
            multiplyPortable(cache.get(layout, levels, x, 0, pool), y, pool, portableKernelAvailable());
            return;
        }
        multiplyTogether(self, x, new float[][] {y}, pool);
    }

    /**
     * One token through several matrices that read the same input (q, k, v; gate, up), as one parallel loop over
     * all their units — a part ({@link #PART_BYTES}) of a quad of tiles: one dispatch and one wait instead of one
     * per matrix, and the small matrices (k and v have two quads at dim 2048) no longer leave a thread idle at
     * their end. Each thread builds the tables it reads ({@link Scratch#tablesFor}). Part 0 writes the outputs, the
     * others write scratch that is added to them in part order once the loop is done.
     */
    static void multiplyTogether(LutMatrix[] ms, float[] x, float[][] ys, WorkerPool pool) {
        int[] firstUnit = new int[ms.length + 1], partialAt = new int[ms.length + 1];
        for (int i = 0; i < ms.length; i++) {
            int parts = ms[i].parts();
            firstUnit[i + 1] = firstUnit[i] + (ms[i].layout.tiles() + 3) / 4 * parts;
            partialAt[i + 1] = partialAt[i] + (parts - 1) * ms[i].layout.rows();
        }
        float[] partials = SCRATCH.get().partials(partialAt[ms.length]);
        long call = CALLS.incrementAndGet();
        pool.parallelChunks(firstUnit[ms.length], 1, (from, to) -> {
            Scratch s = SCRATCH.get();
            LutTables[] tables = s.tablesFor(call, ms, x);
            for (int unit = from, i = 0; unit < to; unit++) {
                while (unit >= firstUnit[i + 1]) i++;
                LutMatrix m = ms[i];
                int parts = m.parts(), quad = (unit - firstUnit[i]) / parts, part = (unit - firstUnit[i]) % parts;
                if (part == 0) m.gemvFourTiles(4 * quad, 0, tables[i], ys[i], 0, s.meta, s.out, s.acc, s.metaAt);
                else m.gemvFourTiles(4 * quad, part, tables[i], partials, partialAt[i] + (part - 1) * m.layout.rows(), s.meta, s.out, s.acc, s.metaAt);
            }
        });
        for (int i = 0; i < ms.length; i++) {
            int rows = ms[i].layout.rows();
            for (int p = partialAt[i]; p < partialAt[i + 1]; p += rows) VectorOps.add(ys[i], 0, partials, p, rows);
        }
    }

    /**
     * Adds one span to the outputs of four tiles (at the first span of a group, {@code metaAt} gives the four
     * tiles' scale offsets and they are decoded first). Per tile, acc holds 32 shorts W (the lookups summed as shorts,
     * wrapping) then 32 shorts V (the lookups shifted right by 8 as ints, summed as shorts); {@link #gemvFourTiles}
     * explains why. Read as ints, lane i covers the bytes of rows 2i, 32+2i, 2i+1, 33+2i, whose exact sums s0..s3
     * (at most 32·255: a span has up to 32 positions) follow from the top down: s3 = V's high short; W's high
     * short = s2 + 256·s3; V's low short = s1 + 256·s2; W's low short = s0 + 256·s1, all modulo 2^16. They
     * convert to floats as they are, so outputs, scales and offsets are kept in that order ({@link #PAIRED}); the
     * span's bias term removes the +128s:
     * out = offset · Σx + (scale · (sum · step + bias) + out), in the scalar reference's order.
     */
    private void flushFour(short[] acc, LutTables t, int s, long[] metaAt, float[] meta, float[] out) {
        boolean offsets = layout.hasOffsets();
        if (metaAt != null) {
            for (int tile = 0; tile < 4; tile++) decodeMetaPaired(metaAt[tile], meta, 128 * tile);
        }
        FloatVector step = FloatVector.broadcast(F, t.spanScale[s]), bias = FloatVector.broadcast(F, t.spanBias[s]);
        FloatVector sum = FloatVector.broadcast(F, t.spanSum[s]);
        for (int tile = 0; tile < 4; tile++) {
            int a = 64 * tile, m = 128 * tile;
            IntVector w = ShortVector.fromArray(S, acc, a).reinterpretAsInts(), v = ShortVector.fromArray(S, acc, a + 32).reinterpretAsInts();
            IntVector s3 = v.lanewise(VectorOperators.LSHR, 16);
            IntVector s2 = w.lanewise(VectorOperators.LSHR, 16).sub(s3.lanewise(VectorOperators.LSHL, 8)).and(0xFFFF);
            IntVector s1 = v.sub(s2.lanewise(VectorOperators.LSHL, 8)).and(0xFFFF);
            IntVector s0 = w.sub(s1.lanewise(VectorOperators.LSHL, 8)).and(0xFFFF);
            FloatVector c0 = FloatVector.fromArray(F, meta, m), c1 = FloatVector.fromArray(F, meta, m + 16);
            FloatVector c2 = FloatVector.fromArray(F, meta, m + 32), c3 = FloatVector.fromArray(F, meta, m + 48);
            FloatVector o0 = s0.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias).fma(c0, FloatVector.fromArray(F, out, a));
            FloatVector o1 = s2.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias).fma(c1, FloatVector.fromArray(F, out, a + 16));
            FloatVector o2 = s1.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias).fma(c2, FloatVector.fromArray(F, out, a + 32));
            FloatVector o3 = s3.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias).fma(c3, FloatVector.fromArray(F, out, a + 48));
            if (offsets) {
                o0 = FloatVector.fromArray(F, meta, m + 64).fma(sum, o0);
                o1 = FloatVector.fromArray(F, meta, m + 80).fma(sum, o1);
                o2 = FloatVector.fromArray(F, meta, m + 96).fma(sum, o2);
                o3 = FloatVector.fromArray(F, meta, m + 112).fma(sum, o3);
            }
            o0.intoArray(out, a);
            o1.intoArray(out, a + 16);
            o2.intoArray(out, a + 32);
            o3.intoArray(out, a + 48);
        }
    }

    /**
     * {@link #flushFour} at the first span of a group with f16 scales and no offsets (int4, E2M1, NF4 g32, where
     * every span starts a group): the scales are decoded in registers where they are used, and stored to meta only
     * when the group has later spans. 1B int4 decode, 1 thread, alternated: 25.48, 25.71 → 26.87, 27.15 tokens/s
     * decoding in registers, → 27.32 (mean of four) without the stores. A separate method, not a branch in
     * flushFour: scale vectors merged from two paths there (decoded or loaded) made C2 box them once both paths had
     * run (int2 decode 37 → 26 tokens/s after the g32 formats). Its name starts with gemv so that the launcher keeps
     * it out of line like the kernels.
     */
    private void gemvFlushDecoded(short[] acc, LutTables t, int s, long[] metaAt, boolean groupGoesOn, float[] meta, float[] out) {
        FloatVector step = FloatVector.broadcast(F, t.spanScale[s]), bias = FloatVector.broadcast(F, t.spanBias[s]);
        for (int tile = 0; tile < 4; tile++) {
            IntVector x = IntVector.fromMemorySegment(I, data, metaAt[tile], ByteOrder.LITTLE_ENDIAN);
            IntVector z = IntVector.fromMemorySegment(I, data, metaAt[tile] + 64, ByteOrder.LITTLE_ENDIAN);
            FloatVector c0 = ScaleFormat.f16LowHalves(x), c1 = ScaleFormat.f16HighHalves(x);
            FloatVector c2 = ScaleFormat.f16LowHalves(z), c3 = ScaleFormat.f16HighHalves(z);
            if (groupGoesOn) keepScales(c0, c1, c2, c3, meta, 128 * tile);
            addBlock(acc, 64 * tile, step, bias, c0, c1, c2, c3, out);
        }
    }

    /**
     * {@link #gemvFlushDecoded} for E8M0 scales (MXFP4): one byte per row, two rows per short. Its own method rather
     * than a format switch in that one, for the reason given there: scale vectors decoded on two paths would merge.
     */
    private void gemvFlushDecodedE8m0(short[] acc, LutTables t, int s, long[] metaAt, boolean groupGoesOn, float[] meta, float[] out) {
        FloatVector step = FloatVector.broadcast(F, t.spanScale[s]), bias = FloatVector.broadcast(F, t.spanBias[s]);
        for (int tile = 0; tile < 4; tile++) {
            IntVector x = ScaleFormat.e8m0Pairs(data, metaAt[tile]), z = ScaleFormat.e8m0Pairs(data, metaAt[tile] + 32);
            FloatVector c0 = ScaleFormat.e8m0LowBytes(x), c1 = ScaleFormat.e8m0HighBytes(x);
            FloatVector c2 = ScaleFormat.e8m0LowBytes(z), c3 = ScaleFormat.e8m0HighBytes(z);
            if (groupGoesOn) keepScales(c0, c1, c2, c3, meta, 128 * tile);
            addBlock(acc, 64 * tile, step, bias, c0, c1, c2, c3, out);
        }
    }

    /** The scales of one tile into meta[m..m+64), for the group's later spans. */
    private static void keepScales(FloatVector c0, FloatVector c1, FloatVector c2, FloatVector c3, float[] meta, int m) {
        c0.intoArray(meta, m);
        c1.intoArray(meta, m + 16);
        c2.intoArray(meta, m + 32);
        c3.intoArray(meta, m + 48);
    }

    /**
     * The decoding flushes' common step for one tile: exact sums from acc[a..a+64) as in {@link #flushFour}, scaled
     * by c0..c3 into out[a..a+64). C2 must inline it, or its vector arguments are boxed: a hot method is inlined up
     * to 325 bytecode bytes (FreqInlineSize); with the scale stores inside it had 335 and int4 decode fell from 27.9
     * to 18.1 tokens/s.
     */
    private static void addBlock(short[] acc, int a, FloatVector step, FloatVector bias, FloatVector c0, FloatVector c1,
                                 FloatVector c2, FloatVector c3, float[] out) {
        IntVector w = ShortVector.fromArray(S, acc, a).reinterpretAsInts(), v = ShortVector.fromArray(S, acc, a + 32).reinterpretAsInts();
        IntVector s3 = v.lanewise(VectorOperators.LSHR, 16);
        IntVector s2 = w.lanewise(VectorOperators.LSHR, 16).sub(s3.lanewise(VectorOperators.LSHL, 8)).and(0xFFFF);
        IntVector s1 = v.sub(s2.lanewise(VectorOperators.LSHL, 8)).and(0xFFFF);
        IntVector s0 = w.sub(s1.lanewise(VectorOperators.LSHL, 8)).and(0xFFFF);
        s0.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias).fma(c0, FloatVector.fromArray(F, out, a)).intoArray(out, a);
        s2.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias).fma(c1, FloatVector.fromArray(F, out, a + 16)).intoArray(out, a + 16);
        s1.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias).fma(c2, FloatVector.fromArray(F, out, a + 32)).intoArray(out, a + 32);
        s3.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias).fma(c3, FloatVector.fromArray(F, out, a + 48)).intoArray(out, a + 48);
    }

    /** The group's scales (and offsets) of one tile into meta[m..m+128), in {@link #PAIRED} order. */
    private void decodeMetaPaired(long at, float[] meta, int m) {
        ScaleFormat format = layout.scaleFormat();
        format.readTilePaired(data, at, meta, m);
        if (layout.hasOffsets()) ScaleFormat.F16.readTilePaired(data, at + (long) LutLayout.TILE * format.bytes(), meta, m + 64);
    }

    /** The group's 64 scales into meta[m..m+64) and 64 offsets into meta[m+64..m+128) (left zero when absent). */
    private void decodeMeta(long at, float[] meta, int m) {
        ScaleFormat format = layout.scaleFormat();
        format.readAll(data, at / format.bytes(), LutLayout.TILE, meta, m);
        if (layout.hasOffsets()) ScaleFormat.F16.readAll(data, (at + (long) LutLayout.TILE * format.bytes()) / 2, LutLayout.TILE, meta, m + 64);
    }

    /**
     * The 512-bit kernel for four consecutive tiles (past the last tile, the last one again; its result is
     * dropped), over the inputs of one part, into y[yOff + row]: four sequential weight streams, and every table
     * pair loaded once for all four. Tables come from L2 (K·16 bytes); loading them once per tile made them compete
     * with the weights streaming in from memory and halved the bandwidth. Outputs and scales wait in L1 scratch
     * between spans.
     *
     * <p>No vector crosses a method boundary: C2 keeps vectors in registers only inside one compiled method, and a
     * call it declines to inline would box them on the heap. Every shift is on int lanes, because C2 encodes int
     * shifts by a constant as one instruction but moves a short shift's count through a register each time.
     * Per lookup r (64 biased unsigned bytes = 32 shorts of two rows) the kernel adds r and r >>> 8 (as ints)
     * into two short accumulators; {@link #flushFour} recovers the exact byte sums from them. An accumulator is
     * always the argument of its add, never the receiver: a loop-carried vector has no exact class for C2, which
     * then binds a receiver's method by type profile only, and once another shape of ShortVector has run (a
     * prefill) a polluted profile left the adds uninlined and every vector boxed (decode at 4 tokens/s).
     */
    private void gemvFourTiles(int tile, int part, LutTables t, float[] y, int yOff, float[] meta, float[] out, short[] acc, long[] metaAt) {
        int last = layout.tiles() - 1;
        long base0 = Math.min(tile, last) * tileBytes, base1 = Math.min(tile + 1, last) * tileBytes;
        long base2 = Math.min(tile + 2, last) * tileBytes, base3 = Math.min(tile + 3, last) * tileBytes;
        int firstGroup = partGroups[part], endGroup = partGroups[part + 1];
        java.util.Arrays.fill(out, 0f);
        ShortVector zero = ShortVector.zero(S); // hoisted: this method is near C2's node budget
        int pos = groupPosition[firstGroup];
        for (int k = firstGroup; k < endGroup; k++) {
            long m = metaOffset[k];
            // The flush decodes the group's scales at its first span: decoded here, they made this method bigger
            // and the lookup loop slower (JMH 8192x2048, 1 thread: int4 −3%, int2 −6% moving them out).
            metaAt[0] = base0 + m;
            metaAt[1] = base1 + m;
            metaAt[2] = base2 + m;
            metaAt[3] = base3 + m;
            // The four tiles' chunks sit at the same offset in each, counted in chunks (64 bytes, 64-aligned in a
            // tile). One chunk counter instead of four advancing addresses: from DRAM 13.0 → 14.5 GB/s (harness,
            // int4 8192x2048, 1 thread), for reasons C2's generated code would tell (docs/KERNELS.md).
            long chunk = chunkOffset[k] / LutLayout.TILE;
            for (int s = groupSpans[k], end = groupSpans[k + 1]; s < end; s++) {
                ShortVector w0 = zero, h0 = zero, w1 = zero, h1 = zero, w2 = zero, h2 = zero, w3 = zero, h3 = zero;
                for (int p = 0, n = spanPositions[s]; p < n; p += 2, pos += 2) {
                    ByteVector te = ByteVector.fromArray(B, t.tables, pos * 64), to = ByteVector.fromArray(B, t.tables, (pos + 1) * 64);
                    long at = chunk++ * LutLayout.TILE;
                    IntVector l0 = ByteVector.fromMemorySegment(B, data, base0 + at, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector l1 = ByteVector.fromMemorySegment(B, data, base1 + at, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector l2 = ByteVector.fromMemorySegment(B, data, base2 + at, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector l3 = ByteVector.fromMemorySegment(B, data, base3 + at, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    // Low nibbles index the even position's table directly; a shift brings the high nibbles down. The
                    // bits that come along (from the byte above) land in bits 4..7, which the replicated table ignores.
                    IntVector r0 = l0.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                    IntVector u0 = l0.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                    IntVector r1 = l1.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                    IntVector u1 = l1.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                    IntVector r2 = l2.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                    IntVector u2 = l2.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                    IntVector r3 = l3.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                    IntVector u3 = l3.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                    w0 = r0.reinterpretAsShorts().add(u0.reinterpretAsShorts()).add(w0);
                    h0 = r0.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u0.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h0);
                    w1 = r1.reinterpretAsShorts().add(u1.reinterpretAsShorts()).add(w1);
                    h1 = r1.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u1.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h1);
                    w2 = r2.reinterpretAsShorts().add(u2.reinterpretAsShorts()).add(w2);
                    h2 = r2.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u2.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h2);
                    w3 = r3.reinterpretAsShorts().add(u3.reinterpretAsShorts()).add(w3);
                    h3 = r3.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u3.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h3);
                }
                // The span's sums go to scratch; the flush, a method of its own, turns them into exact int8 sums and
                // float outputs. Written inline it made this method too big for C2 to keep every vector in a
                // register (decode fell to ~2 tokens/s); arrays, not vectors, cross the call. Each accumulator is
                // stored as zero + it, so that the store's receiver has an exact class (the accumulator, a loop
                // phi, has none; with a polluted profile its store was not intrinsified and every vector boxed).
                zero.add(w0).intoArray(acc, 0);
                zero.add(h0).intoArray(acc, 32);
                zero.add(w1).intoArray(acc, 64);
                zero.add(h1).intoArray(acc, 96);
                zero.add(w2).intoArray(acc, 128);
                zero.add(h2).intoArray(acc, 160);
                zero.add(w3).intoArray(acc, 192);
                zero.add(h3).intoArray(acc, 224);
                if (s != groupSpans[k] || decodeInFlush == null) flushFour(acc, t, s, s == groupSpans[k] ? metaAt : null, meta, out);
                else if (decodeInFlush == ScaleFormat.F16) gemvFlushDecoded(acc, t, s, metaAt, s + 1 < end, meta, out);
                else gemvFlushDecodedE8m0(acc, t, s, metaAt, s + 1 < end, meta, out);
            }
        }
        int r0 = tile * LutLayout.TILE, n = Math.min(4 * LutLayout.TILE, layout.rows() - r0);
        for (int i = 0; i < n; i++) y[yOff + r0 + i] = out[PAIRED[i]];
    }

    /**
     * The kernel for CPUs without AVX-512 VBMI, tile by tile: each 64-byte chunk is read as four 16-byte pieces
     * (rows 8q..8q+7 and 32+8q..32+8q+7) looked up with 128-bit permutes ({@code pshufb}, whose 16 entries are one
     * table), summed like {@link #gemvFourTiles}; {@code vector} false runs the scalar reference instead. It repeats
     * that kernel's loop with other species rather than sharing one generic loop: C2 compiles Vector API code to
     * instructions only where the species is a constant, and both kernels must exist in one JVM to be tested here.
     */
    void multiplyPortable(LutTables t, float[] y, WorkerPool pool, boolean vector) {
        pool.parallelFor(layout.tiles(), 1, (from, to) -> {
            float[] meta = new float[2 * LutLayout.TILE], out = new float[LutLayout.TILE];
            short[] acc = new short[LutLayout.TILE];
            for (int tile = from; tile < to; tile++) {
                if (vector) gemvTilePortable(tile, t, y, meta, out, acc);
                else gemvTileScalar(tile, t, y);
            }
        });
    }

    private void gemvTilePortable(int tile, LutTables t, float[] y, float[] meta, float[] out, short[] acc) {
        long base = tile * tileBytes;
        boolean offsets = layout.hasOffsets();
        int groups = groupBlocks.length - 1;
        java.util.Arrays.fill(out, 0f);
        ShortVector zero = ShortVector.zero(S128);
        int pos = 0, first = tile * LutLayout.TILE, rowsHere = Math.min(LutLayout.TILE, layout.rows() - first);
        for (int k = 0, part = 0; k < groups; k++) {
            decodeMeta(base + metaOffset[k], meta, 0);
            long at = base + chunkOffset[k];
            for (int s = groupSpans[k], end = groupSpans[k + 1]; s < end; s++) {
                ShortVector w0 = zero, h0 = zero, w1 = zero, h1 = zero, w2 = zero, h2 = zero, w3 = zero, h3 = zero;
                for (int p = 0, n = spanPositions[s]; p < n; p += 2, pos += 2, at += LutLayout.TILE) {
                    ByteVector te = ByteVector.fromArray(B128, t.tables, pos * 64), to = ByteVector.fromArray(B128, t.tables, (pos + 1) * 64);
                    IntVector l0 = ByteVector.fromMemorySegment(B128, data, at, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector l1 = ByteVector.fromMemorySegment(B128, data, at + 16, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector l2 = ByteVector.fromMemorySegment(B128, data, at + 32, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector l3 = ByteVector.fromMemorySegment(B128, data, at + 48, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector r0 = l0.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                    IntVector u0 = l0.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                    IntVector r1 = l1.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                    IntVector u1 = l1.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                    IntVector r2 = l2.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                    IntVector u2 = l2.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                    IntVector r3 = l3.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                    IntVector u3 = l3.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                    w0 = r0.reinterpretAsShorts().add(u0.reinterpretAsShorts()).add(w0);
                    h0 = r0.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u0.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h0);
                    w1 = r1.reinterpretAsShorts().add(u1.reinterpretAsShorts()).add(w1);
                    h1 = r1.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u1.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h1);
                    w2 = r2.reinterpretAsShorts().add(u2.reinterpretAsShorts()).add(w2);
                    h2 = r2.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u2.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h2);
                    w3 = r3.reinterpretAsShorts().add(u3.reinterpretAsShorts()).add(w3);
                    h3 = r3.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u3.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h3);
                }
                zero.add(w0).intoArray(acc, 0);
                zero.add(h0).intoArray(acc, 8);
                zero.add(w1).intoArray(acc, 16);
                zero.add(h1).intoArray(acc, 24);
                zero.add(w2).intoArray(acc, 32);
                zero.add(h2).intoArray(acc, 40);
                zero.add(w3).intoArray(acc, 48);
                zero.add(h3).intoArray(acc, 56);
                gemvFlushPortable(acc, t, s, offsets, meta, out);
            }
            if (k + 1 == partGroups[part + 1]) addPart(out, y, first, rowsHere, part++ == 0);
        }
    }

    /** A part's sums of one tile into y (the first part) or added to it (the others, in order); out is cleared. */
    private static void addPart(float[] out, float[] y, int r0, int rows, boolean first) {
        for (int r = 0; r < rows; r++) y[r0 + r] = first ? out[r] : y[r0 + r] + out[r];
        java.util.Arrays.fill(out, 0f);
    }

    /** {@link #flushFour} for one tile of 128-bit pieces: piece q's sums are acc[16q..16q+8) raw, [16q+8..16q+16) shifted. */
    private void gemvFlushPortable(short[] acc, LutTables t, int s, boolean offsets, float[] meta, float[] out) {
        FloatVector step = FloatVector.broadcast(F256, t.spanScale[s]), bias = FloatVector.broadcast(F256, t.spanBias[s]);
        FloatVector sum = FloatVector.broadcast(F256, offsets ? t.spanSum[s] : 0f);
        for (int q = 0; q < 4; q++) {
            ShortVector raw = ShortVector.fromArray(S128, acc, 16 * q), shifted = ShortVector.fromArray(S128, acc, 16 * q + 8);
            ShortVector oddLow = raw.sub(shifted.lanewise(VectorOperators.LSHL, 8));
            ShortVector carry = oddLow.reinterpretAsInts().lanewise(VectorOperators.LSHR, 16).reinterpretAsShorts().lanewise(VectorOperators.LSHL, 8);
            ShortVector high = shifted.sub(carry);
            ShortVector low = raw.sub(high.lanewise(VectorOperators.LSHL, 8));
            int lo = 8 * q, hi = 32 + 8 * q;
            FloatVector.fromArray(F256, meta, 64 + lo).fma(sum, ((FloatVector) low.convertShape(VectorOperators.S2F, F256, 0)).fma(step, bias)
                    .fma(FloatVector.fromArray(F256, meta, lo), FloatVector.fromArray(F256, out, lo))).intoArray(out, lo);
            FloatVector.fromArray(F256, meta, 64 + hi).fma(sum, ((FloatVector) high.convertShape(VectorOperators.S2F, F256, 0)).fma(step, bias)
                    .fma(FloatVector.fromArray(F256, meta, hi), FloatVector.fromArray(F256, out, hi))).intoArray(out, hi);
        }
    }

    /**
     * Scalar reference of the same computation with the same int8 tables, in the same order of float
     * operations (parts summed on their own, then added in order): the vector kernel must match it exactly. Also
     * the fallback where 512-bit permutes are missing.
     */
    void gemvTileScalar(int tile, LutTables t, float[] y) {
        long base = tile * layout.tileBytes();
        int rowsHere = Math.min(LutLayout.TILE, layout.rows() - tile * LutLayout.TILE);
        float[] out = new float[LutLayout.TILE];
        int[] acc = new int[LutLayout.TILE];
        int pos = 0;
        for (int k = 0, part = 0; k < layout.groups(); k++) {
            long meta = base + metaOffset[k], at = base + chunkOffset[k];
            float[] scales = new float[LutLayout.TILE], offsets = new float[LutLayout.TILE];
            for (int r = 0; r < LutLayout.TILE; r++) {
                scales[r] = layout.scaleFormat().read(data.asSlice(meta), r);
                if (layout.hasOffsets()) offsets[r] = ScaleFormat.F16.read(data.asSlice(meta + (long) LutLayout.TILE * layout.scaleFormat().bytes()), r);
            }
            for (int s = groupSpans[k]; s < groupSpans[k + 1]; s++) {
                java.util.Arrays.fill(acc, 0);
                for (int p = 0, n = spanPositions[s]; p < n; p += 2, pos += 2, at += LutLayout.TILE) {
                    for (int r = 0; r < LutLayout.TILE; r++) {
                        int b = data.get(ValueLayout.JAVA_BYTE, at + LutLayout.chunkByte(r)) & 0xFF;
                        acc[r] += (t.tables[pos * 64 + (b & 15)] & 0xFF) + (t.tables[(pos + 1) * 64 + (b >>> 4)] & 0xFF);
                    }
                }
                for (int r = 0; r < LutLayout.TILE; r++) {
                    out[r] = Math.fma(Math.fma(acc[r], t.spanScale[s], t.spanBias[s]), scales[r], out[r]);
                    if (layout.hasOffsets()) out[r] = Math.fma(offsets[r], t.spanSum[s], out[r]);
                }
            }
            if (k + 1 == partGroups[part + 1]) addPart(out, y, tile * LutLayout.TILE, rowsHere, part++ == 0);
        }
    }

    /** The scalar reference over all rows (tests compare the vector kernel with it). */
    public void multiplyReference(float[] x, float[] y) {
        LutTables t = LutTables.build(layout, levels, x, 0);
        for (int tile = 0; tile < layout.tiles(); tile++) gemvTileScalar(tile, t, y);
    }

    // ---- decoding (rows, prefill) ----

    @Override
    public void readRow(int row, float[] dst, int offset) {
        java.util.Objects.checkIndex(row, layout.rows());
        int tile = row / LutLayout.TILE, r = row % LutLayout.TILE, g = layout.inputsPerPosition(), bits = layout.bits();
        int mask = (1 << bits) - 1;
        long base = tile * layout.tileBytes();
        for (int k = 0; k < layout.groups(); k++) {
            long meta = base + metaOffset[k], at = base + chunkOffset[k];
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

    /**
     * Prefill: each tile of 64 rows is dequantized once into a transposed fp32 scratch Wᵀ[K][64], then an
     * outer-product GEMM runs over it: for every input i, four weight vectors (64 rows) meet four tokens' x[i]
     * in 16 register accumulators. Dequantize-then-fp32-GEMM, tile by tile, so the scratch stays in cache.
     */
    private void multiplyDequantized(float[] x, float[] y, int batch, WorkerPool pool) {
        int cols = layout.cols();
        float[] levels16 = java.util.Arrays.copyOf(levels, 16);
        pool.parallelFor(layout.tiles(), 1, (from, to) -> {
            float[] wt = new float[cols * LutLayout.TILE];
            float[] meta = new float[2 * LutLayout.TILE];
            float[] out = new float[4 * LutLayout.TILE];
            for (int tile = from; tile < to; tile++) {
                decodeTransposed(tile, wt, meta, levels16);
                int t = 0;
                for (; t + 4 <= batch; t += 4) gemmFourTokens(wt, x, t, out, y, tile, 4);
                if (t < batch) gemmFourTokens(wt, x, t, out, y, tile, batch - t);
            }
        });
    }

    /** Tile {@code tile} as floats, transposed: wt[i·64 + r] = weight of row r, input i. */
    private void decodeTransposed(int tile, float[] wt, float[] meta, float[] levels16) {
        long base = tile * tileBytes;
        int g = layout.inputsPerPosition(), bits = layout.bits();
        byte mask = (byte) ((1 << bits) - 1);
        FloatVector table = FloatVector.fromArray(F, levels16, 0);
        for (int k = 0; k < groupBlocks.length - 1; k++) {
            decodeMeta(base + metaOffset[k], meta, 0);
            long at = base + chunkOffset[k];
            for (int j = groupBlocks[k]; j < groupBlocks[k + 1]; j++) {
                int a0 = j * LutLayout.BLOCK, n = layout.blockInputs(j);
                for (int p = 0; p < blockPositions[j]; p++) {
                    ByteVector raw = ByteVector.fromMemorySegment(B, data, at + (long) (p / 2) * LutLayout.TILE, ByteOrder.LITTLE_ENDIAN)
                            .rearrange(ROW_ORDER);
                    ByteVector index = ((p & 1) == 0 ? raw : raw.lanewise(VectorOperators.LSHR, 4)).and((byte) 15);
                    for (int d = 0; d < g; d++) {
                        int input = p * g + d;
                        if (input >= n) break;
                        ByteVector code = index.lanewise(VectorOperators.LSHR, d * bits).and(mask);
                        for (int q = 0; q < 4; q++) {
                            IntVector c = (IntVector) code.convertShape(VectorOperators.B2I, I, q);
                            table.rearrange(c.toShuffle().cast(F))
                                    .fma(FloatVector.fromArray(F, meta, 16 * q), FloatVector.fromArray(F, meta, 64 + 16 * q))
                                    .intoArray(wt, (a0 + input) * LutLayout.TILE + 16 * q);
                        }
                    }
                }
                at += (long) blockPositions[j] / 2 * LutLayout.TILE;
            }
        }
    }

    /** y rows of this tile for tokens t..t+count−1 (count ≤ 4; missing tokens read token t again and are dropped). */
    private void gemmFourTokens(float[] wt, float[] x, int t, float[] out, float[] y, int tile, int count) {
        int cols = layout.cols(), rows = layout.rows();
        int x0 = t * cols, x1 = (t + Math.min(1, count - 1)) * cols, x2 = (t + Math.min(2, count - 1)) * cols, x3 = (t + Math.min(3, count - 1)) * cols;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int i = 0; i < cols; i++) {
            int w = i * LutLayout.TILE;
            FloatVector w0 = FloatVector.fromArray(F, wt, w), w1 = FloatVector.fromArray(F, wt, w + 16);
            FloatVector w2 = FloatVector.fromArray(F, wt, w + 32), w3 = FloatVector.fromArray(F, wt, w + 48);
            FloatVector b0 = FloatVector.broadcast(F, x[x0 + i]), b1 = FloatVector.broadcast(F, x[x1 + i]);
            FloatVector b2 = FloatVector.broadcast(F, x[x2 + i]), b3 = FloatVector.broadcast(F, x[x3 + i]);
            c00 = w0.fma(b0, c00); c01 = w1.fma(b0, c01); c02 = w2.fma(b0, c02); c03 = w3.fma(b0, c03);
            c10 = w0.fma(b1, c10); c11 = w1.fma(b1, c11); c12 = w2.fma(b1, c12); c13 = w3.fma(b1, c13);
            c20 = w0.fma(b2, c20); c21 = w1.fma(b2, c21); c22 = w2.fma(b2, c22); c23 = w3.fma(b2, c23);
            c30 = w0.fma(b3, c30); c31 = w1.fma(b3, c31); c32 = w2.fma(b3, c32); c33 = w3.fma(b3, c33);
        }
        int r0 = tile * LutLayout.TILE, valid = Math.min(LutLayout.TILE, rows - r0);
        c00.intoArray(out, 0); c01.intoArray(out, 16); c02.intoArray(out, 32); c03.intoArray(out, 48);
        c10.intoArray(out, 64); c11.intoArray(out, 80); c12.intoArray(out, 96); c13.intoArray(out, 112);
        c20.intoArray(out, 128); c21.intoArray(out, 144); c22.intoArray(out, 160); c23.intoArray(out, 176);
        c30.intoArray(out, 192); c31.intoArray(out, 208); c32.intoArray(out, 224); c33.intoArray(out, 240);
        for (int k = 0; k < count; k++) System.arraycopy(out, 64 * k, y, (t + k) * rows + r0, valid);
    }

    /**
     * Prefill where AVX-512 is missing: {@link #multiplyDequantized} with 256-bit floats. The 16 levels are two
     * 8-lane tables (a code's bit 3 picks one), so the weights in the scratch equal those of the 512-bit path; the
     * GEMM takes two tokens × 32 rows per pass (8 accumulators: an AVX2 CPU has 16 vector registers).
     */
    void multiplyDequantizedPortable(float[] x, float[] y, int batch, WorkerPool pool) {
        int cols = layout.cols();
        pool.parallelFor(layout.tiles(), 1, (from, to) -> {
            float[] wt = new float[cols * LutLayout.TILE];
            float[] meta = new float[2 * LutLayout.TILE];
            float[] out = new float[2 * LutLayout.TILE];
            for (int tile = from; tile < to; tile++) {
                decodeTransposedPortable(tile, wt, meta);
                for (int t = 0; t < batch; t += 2) gemmTwoTokensPortable(wt, x, t, Math.min(2, batch - t), out, y, tile);
            }
        });
    }

    /**
     * {@link #decodeTransposed} in 128-bit pieces: piece q of a chunk holds rows 8q..8q+7 (even bytes) and 32+8q..
     * (odd). Its loops repeat that method's with other species, for the reason given at {@link #multiplyPortable}.
     */
    private void decodeTransposedPortable(int tile, float[] wt, float[] meta) {
        long base = tile * tileBytes;
        int g = layout.inputsPerPosition(), bits = layout.bits(), mask = (1 << bits) - 1;
        float[] levels16 = java.util.Arrays.copyOf(levels, 16);
        FloatVector low = FloatVector.fromArray(F256, levels16, 0), high = FloatVector.fromArray(F256, levels16, 8);
        for (int k = 0; k < groupBlocks.length - 1; k++) {
            decodeMeta(base + metaOffset[k], meta, 0);
            long at = base + chunkOffset[k];
            for (int j = groupBlocks[k]; j < groupBlocks[k + 1]; j++) {
                int a0 = j * LutLayout.BLOCK, n = layout.blockInputs(j);
                for (int p = 0; p < blockPositions[j]; p++) {
                    for (int q = 0; q < 4; q++) {
                        ShortVector raw = ByteVector.fromMemorySegment(B128, data, at + (long) (p / 2) * LutLayout.TILE + 16 * q, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
                        IntVector even = (IntVector) raw.convertShape(VectorOperators.S2I, I256, 0);
                        IntVector odd = even.lanewise(VectorOperators.LSHR, 8);
                        for (int d = 0, shift = (p & 1) * 4; d < g && p * g + d < n; d++, shift += bits) {
                            int row = (a0 + p * g + d) * LutLayout.TILE;
                            IntVector ce = even.lanewise(VectorOperators.LSHR, shift).and(mask), co = odd.lanewise(VectorOperators.LSHR, shift).and(mask);
                            FloatVector le = low.rearrange(ce.and(7).toShuffle().cast(F256))
                                    .blend(high.rearrange(ce.and(7).toShuffle().cast(F256)), ce.compare(VectorOperators.GE, 8).cast(F256));
                            FloatVector lo = low.rearrange(co.and(7).toShuffle().cast(F256))
                                    .blend(high.rearrange(co.and(7).toShuffle().cast(F256)), co.compare(VectorOperators.GE, 8).cast(F256));
                            le.fma(FloatVector.fromArray(F256, meta, 8 * q), FloatVector.fromArray(F256, meta, 64 + 8 * q)).intoArray(wt, row + 8 * q);
                            lo.fma(FloatVector.fromArray(F256, meta, 32 + 8 * q), FloatVector.fromArray(F256, meta, 96 + 8 * q)).intoArray(wt, row + 32 + 8 * q);
                        }
                    }
                }
                at += (long) blockPositions[j] / 2 * LutLayout.TILE;
            }
        }
    }

    /** y rows of this tile for tokens t and t+1 (count 1: token t only; the second pass reads token t again). */
    private void gemmTwoTokensPortable(float[] wt, float[] x, int t, int count, float[] out, float[] y, int tile) {
        int cols = layout.cols(), rows = layout.rows();
        int x0 = t * cols, x1 = (t + count - 1) * cols;
        for (int half = 0; half < LutLayout.TILE; half += 32) {
            FloatVector c00 = FloatVector.zero(F256), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            for (int i = 0; i < cols; i++) {
                int w = i * LutLayout.TILE + half;
                FloatVector w0 = FloatVector.fromArray(F256, wt, w), w1 = FloatVector.fromArray(F256, wt, w + 8);
                FloatVector w2 = FloatVector.fromArray(F256, wt, w + 16), w3 = FloatVector.fromArray(F256, wt, w + 24);
                FloatVector b0 = FloatVector.broadcast(F256, x[x0 + i]), b1 = FloatVector.broadcast(F256, x[x1 + i]);
                c00 = w0.fma(b0, c00); c01 = w1.fma(b0, c01); c02 = w2.fma(b0, c02); c03 = w3.fma(b0, c03);
                c10 = w0.fma(b1, c10); c11 = w1.fma(b1, c11); c12 = w2.fma(b1, c12); c13 = w3.fma(b1, c13);
            }
            c00.intoArray(out, half); c01.intoArray(out, half + 8); c02.intoArray(out, half + 16); c03.intoArray(out, half + 24);
            c10.intoArray(out, 64 + half); c11.intoArray(out, 72 + half); c12.intoArray(out, 80 + half); c13.intoArray(out, 88 + half);
        }
        int r0 = tile * LutLayout.TILE, valid = Math.min(LutLayout.TILE, rows - r0);
        for (int k = 0; k < count; k++) System.arraycopy(out, 64 * k, y, (t + k) * rows + r0, valid);
    }
}
