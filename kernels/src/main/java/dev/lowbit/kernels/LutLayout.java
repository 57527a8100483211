package dev.lowbit.kernels;

/**
 * Geometry of the table-lookup packed layouts ("lut64s", and "lut64" read from older files); docs/KERNELS.md and
 * docs/FORMAT.md describe them.
 *
 * <p>Each weight has a {@code bits}-bit code (bits ∈ {1, 2, 4}). A <em>position</em> covers g = 4 / bits
 * consecutive inputs, so its codes form one 4-bit index. Inputs are taken in blocks of 32; a block's positions
 * are padded to an even count. Rows are taken in tiles of 64. A tile holds, per group, its 64 scales (then 64
 * offsets, when present) and, for each of the group's blocks, one 64-byte chunk per pair of positions: the byte of
 * row r (see {@link #chunkByte}) holds its index for the even position in the low nibble, the odd one in the high
 * nibble. With {@code scalesFirst} (what lowbit writes) a tile is all its groups' scales, then all its chunks, so
 * the chunks the kernel streams are contiguous; otherwise (files written before) each group's scales come just
 * before its chunks.
 */
public record LutLayout(int rows, int cols, int bits, int groupSize, ScaleFormat scaleFormat, boolean hasOffsets, boolean scalesFirst) {
    public static final int TILE = 64;
    public static final int BLOCK = 32;
    /**
     * A span's size, at most: the kernels sum a span's lookups in integers and flush them to floats once, so one
     * int8 table step covers a span. Up to 64 inputs (T-MAC's default activation group) and 32 positions (a 4-bit
     * block): 1- and 2-bit codes, whose blocks have 8 and 16 positions, flush half as often; 4-bit codes keep one
     * step per block, as wider spans measurably cost them accuracy (docs/KERNELS.md). Spans never cross a group.
     */
    public static final int SPAN_INPUTS = 64, SPAN_POSITIONS = 32;

    /** The layout lowbit writes: scales first. */
    public LutLayout(int rows, int cols, int bits, int groupSize, ScaleFormat scaleFormat, boolean hasOffsets) {
        this(rows, cols, bits, groupSize, scaleFormat, hasOffsets, true);
    }

    public LutLayout {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("bad shape " + rows + "x" + cols);
        if (!supportsBits(bits)) throw new IllegalArgumentException("table lookup needs 1, 2 or 4 bits, got " + bits);
        if (!supportsGroup(groupSize, cols)) {
            throw new IllegalArgumentException("table lookup needs groups that are a multiple of " + BLOCK + " or whole rows, got " + groupSize);
        }
    }

    /**
     * Where row r (0..63) of a tile sits in a 64-byte chunk: rows 0..31 at even bytes, rows 32..63 at odd bytes
     * (byte 2i = row i, byte 2i+1 = row 32+i). Read as 32 shorts, low bytes are then rows 0..31 and high bytes
     * rows 32..63, which lets the kernel sum lookups without widening each one (docs/KERNELS.md).
     */
    public static int chunkByte(int row) {
        return row < 32 ? 2 * row : 2 * (row - 32) + 1;
    }

    public static boolean supportsBits(int bits) {
        return bits == 1 || bits == 2 || bits == 4;
    }

    public static boolean supportsGroup(int groupSize, int cols) {
        return groupSize >= cols || (groupSize > 0 && groupSize % BLOCK == 0);
    }

    /** Inputs per position (one 4-bit index). */
    public int inputsPerPosition() {
        return 4 / bits;
    }

    /** The group size as stored: a whole row when it covers one. */
    public int effectiveGroup() {
        return Math.min(groupSize, cols);
    }

    public int groups() {
        return (cols + effectiveGroup() - 1) / effectiveGroup();
    }

    public int blocks() {
        return (cols + BLOCK - 1) / BLOCK;
    }

    public int tiles() {
        return (rows + TILE - 1) / TILE;
    }

    /** Inputs in block j (the last may be short). */
    public int blockInputs(int j) {
        return Math.min(BLOCK, cols - j * BLOCK);
    }

    /** Positions in block j, padded to an even count. */
    public int blockPositions(int j) {
        int p = (blockInputs(j) + inputsPerPosition() - 1) / inputsPerPosition();
        return (p + 1) & ~1;
    }

    /** First block of group k (groups are whole numbers of blocks, except a whole row). */
    public int firstBlock(int group) {
        return group * effectiveGroup() / BLOCK;
    }

    public int endBlock(int group) {
        return group == groups() - 1 ? blocks() : (group + 1) * effectiveGroup() / BLOCK;
    }

    /** Blocks per span: each group is split into runs of this many blocks (its last run may be shorter). */
    public int spanBlocks() {
        int blocks = Math.min(Math.min(effectiveGroup(), SPAN_INPUTS), SPAN_POSITIONS * inputsPerPosition()) / BLOCK;
        return Math.max(1, blocks);
    }

    /** Spans in group k. */
    private int groupSpans(int group) {
        return (endBlock(group) - firstBlock(group) + spanBlocks() - 1) / spanBlocks();
    }

    /** Spans over a whole row. */
    public int spans() {
        return firstSpan(groups());
    }

    /** Index of group k's first span; {@code groups()} gives the number of spans. */
    public int firstSpan(int group) {
        // Every group but the last has effectiveGroup() / BLOCK blocks (a whole-row group is the only one).
        int perGroup = (effectiveGroup() / BLOCK + spanBlocks() - 1) / spanBlocks();
        return group < groups() ? group * perGroup : (groups() - 1) * perGroup + groupSpans(groups() - 1);
    }

    /** First block of each span, then {@code blocks()}: {@code spans() + 1} entries. */
    public int[] spanStarts() {
        int[] starts = new int[spans() + 1];
        int s = 0;
        for (int k = 0; k < groups(); k++) {
            for (int j = firstBlock(k); j < endBlock(k); j += spanBlocks()) starts[s++] = j;
        }
        starts[s] = blocks();
        return starts;
    }

    /** Padded positions of each span (its blocks' positions). */
    public int[] spanPositions() {
        int[] starts = spanStarts(), positions = new int[starts.length - 1];
        for (int s = 0; s < positions.length; s++) {
            for (int j = starts[s]; j < starts[s + 1]; j++) positions[s] += blockPositions(j);
        }
        return positions;
    }

    /** Bytes of one group's per-row metadata (scales and offsets) in a tile. */
    public int metaBytes() {
        return TILE * (scaleFormat.bytes() + (hasOffsets ? 2 : 0));
    }

    /** Padded positions over a whole row (the size of the activation tables). */
    public int positions() {
        int n = 0;
        for (int j = 0; j < blocks(); j++) n += blockPositions(j);
        return n;
    }

    /** Byte offset, within a tile, of group k's scales (its offsets follow them). */
    public long metaOffset(int group) {
        return (long) group * metaBytes() + (scalesFirst ? 0 : chunkBytesBefore(group));
    }

    /** Byte offset, within a tile, of group k's first chunk; the group's chunks follow one another. */
    public long chunkOffset(int group) {
        return (long) (scalesFirst ? groups() : group + 1) * metaBytes() + chunkBytesBefore(group);
    }

    /** Bytes of group k's chunks in a tile: one chunk per pair of positions of its blocks. */
    public long chunkBytes(int group) {
        return chunkBytes(firstBlock(group), endBlock(group));
    }

    private long chunkBytesBefore(int group) {
        return chunkBytes(0, firstBlock(group));
    }

    private long chunkBytes(int fromBlock, int toBlock) {
        int positions = 0;
        for (int j = fromBlock; j < toBlock; j++) positions += blockPositions(j);
        return (long) positions / 2 * TILE;
    }

    public long tileBytes() {
        return (long) groups() * metaBytes() + (long) positions() / 2 * TILE;
    }

    public long totalBytes() {
        return tiles() * tileBytes();
    }
}
