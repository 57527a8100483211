package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The table-lookup GEMV for AVX-512 with VBMI: every 4-bit index of 64 rows is looked up in a 16-entry table
 * (stored four times, 64 bytes) with one 512-bit byte permute ({@code vpermb}); the biased int8 results are summed
 * in int16 per span of up to 32 positions (two shorts of accumulator per 64 rows, no per-lookup widening), then
 * scaled in float. A unit of work is four consecutive tiles, streamed side by side so that every table is loaded
 * once for all four. docs/KERNELS.md explains the layout, the sums and what C2 needs of this code.
 */
final class Lut512Kernel implements LookupKernel {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /**
     * Where row r of a tile sits in this kernel's outputs and scales: rows 0, 2, …, 30, then 1, 3, …, 31,
     * then 32, 34, …, 62, then 33, …, 63 — the order in which flushFour recovers the sums (for four tiles).
     */
    private static final int[] PAIRED = new int[4 * LutLayout.TILE];
    static {
        for (int r = 0; r < PAIRED.length; r++) {
            int t = r / 64, q = r % 64;
            PAIRED[r] = 64 * t + (q >= 32 ? 32 : 0) + (q % 2) * 16 + (q % 32) / 2;
        }
    }

    /** A thread's scratch for four tiles: quads are handed out one at a time, so it is not allocated per call. */
    private static final class Scratch {
        final float[] meta = new float[4 * 2 * LutLayout.TILE]; // per tile: 64 scales, 64 offsets (0 when absent)
        final float[] out = new float[4 * LutLayout.TILE];
        final short[] acc = new short[4 * LutLayout.TILE];
        final long[] metaAt = new long[4];
    }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override public String name() { return "avx512"; }
    @Override public int tableStride() { return 64; }
    @Override public int tilesPerUnit() { return 4; }

    @Override
    public void prefill(LutMatrix m, float[] x, float[] y, int batch, WorkerPool pool) {
        LutPrefill.multiply512(m, x, y, batch, pool);
    }

    @Override
    public void gemv(LutMatrix m, int firstTile, int part, LutTables t, float[] y, int yOff) {
        Scratch s = SCRATCH.get();
        gemvFourTiles(m.layout(), m.geometry(), m.address(), firstTile, part, t, y, yOff, s.meta, s.out, s.acc, s.metaAt);
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
    private static void flushFour(LutLayout layout, short[] acc, LutTables t, int s, long[] metaAt, float[] meta, float[] out) {
        boolean offsets = layout.hasOffsets();
        if (metaAt != null) {
            for (int tile = 0; tile < 4; tile++) decodeMetaPaired(layout, metaAt[tile], meta, 128 * tile);
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
    private static void gemvFlushDecoded(short[] acc, LutTables t, int s, long[] metaAt, boolean groupGoesOn, float[] meta, float[] out) {
        MemorySegment data = WeightMemory.EVERYWHERE;
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
    private static void gemvFlushDecodedE8m0(short[] acc, LutTables t, int s, long[] metaAt, boolean groupGoesOn, float[] meta, float[] out) {
        MemorySegment data = WeightMemory.EVERYWHERE;
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
    private static void decodeMetaPaired(LutLayout layout, long at, float[] meta, int m) {
        MemorySegment data = WeightMemory.EVERYWHERE;
        ScaleFormat format = layout.scaleFormat();
        format.readTilePaired(data, at, meta, m);
        if (layout.hasOffsets()) ScaleFormat.F16.readTilePaired(data, at + (long) LutLayout.TILE * format.bytes(), meta, m + 64);
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
    private static void gemvFourTiles(LutLayout layout, LutGeometry g, long address, int tile, int part, LutTables t, float[] y, int yOff,
                                      float[] meta, float[] out, short[] acc, long[] metaAt) {
        long tileBytes = g.tileBytes;
        ScaleFormat decodeInFlush = layout.hasOffsets() ? null : layout.scaleFormat(); // no offsets: scales decoded in the flush at a group's first span
        int[] groupSpans = g.groupSpans, spanPositions = g.spanPositions;
        int last = layout.tiles() - 1;
        long base0 = address + Math.min(tile, last) * tileBytes, base1 = address + Math.min(tile + 1, last) * tileBytes;
        long base2 = address + Math.min(tile + 2, last) * tileBytes, base3 = address + Math.min(tile + 3, last) * tileBytes;
        MemorySegment data = WeightMemory.EVERYWHERE; // docs/KERNELS.md, "What C2 needs"
        int firstGroup = g.partGroups[part], endGroup = g.partGroups[part + 1];
        java.util.Arrays.fill(out, 0f);
        ShortVector zero = ShortVector.zero(S); // hoisted: this method is near C2's node budget
        int pos = g.groupPosition[firstGroup];
        for (int k = firstGroup; k < endGroup; k++) {
            long m = g.metaOffset[k];
            // The flush decodes the group's scales at its first span: decoded here, they made this method bigger
            // and the lookup loop slower (JMH 8192x2048, 1 thread: int4 −3%, int2 −6% moving them out).
            metaAt[0] = base0 + m;
            metaAt[1] = base1 + m;
            metaAt[2] = base2 + m;
            metaAt[3] = base3 + m;
            // The four tiles' chunks sit at the same offset in each, counted in chunks (64 bytes, 64-aligned in a
            // tile). One chunk counter instead of four advancing addresses: from DRAM 13.0 → 14.5 GB/s (harness,
            // int4 8192x2048, 1 thread), for reasons C2's generated code would tell (docs/KERNELS.md).
            long chunk = g.chunkOffset[k] / LutLayout.TILE;
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
                if (s != groupSpans[k] || decodeInFlush == null) flushFour(layout, acc, t, s, s == groupSpans[k] ? metaAt : null, meta, out);
                else if (decodeInFlush == ScaleFormat.F16) gemvFlushDecoded(acc, t, s, metaAt, s + 1 < end, meta, out);
                else gemvFlushDecodedE8m0(acc, t, s, metaAt, s + 1 < end, meta, out);
            }
        }
        int r0 = tile * LutLayout.TILE, n = Math.min(4 * LutLayout.TILE, layout.rows() - r0);
        for (int i = 0; i < n; i++) y[yOff + r0 + i] = out[PAIRED[i]];
    }
}
