package dev.lowbit.kernels;

/**
 * A {@link LutLayout}'s offsets and counts, computed once per matrix so that the kernels' loops do no division
 * (the layout's accessors divide and loop). Every kernel and the scalar reference walk a tile with these arrays.
 */
final class LutGeometry {
    /**
     * Bytes of codes per row in a part: a matrix's inputs are split into parts of whole groups holding about this
     * many (2048 inputs of 4-bit codes, 8192 of 1-bit ones), each summed on its own and the parts then added in
     * order, by every kernel and the reference alike. A unit of parallel work is a part of a few tiles, so wide
     * matrices (the FFN down projection) are handed out in pieces as large as those of the others, and a part's
     * tables stay in L1/L2 (docs/KERNELS.md, "The ends of parallel loops").
     */
    static final int PART_BYTES = 1024;

    final long tileBytes;
    final long[] metaOffset;    // byte offset of each group's scales within a tile
    final long[] chunkOffset;   // byte offset of each group's first chunk within a tile
    final int[] groupBlocks;    // first block of each group, and the end: groups + 1 entries
    final int[] blockPositions; // padded positions of each block
    final int[] groupSpans;     // first span of each group, and the end: groups + 1 entries
    final int[] spanPositions;  // padded positions of each span: the lookups summed before one flush
    final int[] groupPosition;  // first table position of each group, and the end: groups + 1 entries
    final int[] partGroups;     // first group of each part, and the end: parts + 1 entries

    LutGeometry(LutLayout layout) {
        int groups = layout.groups();
        tileBytes = layout.tileBytes();
        blockPositions = new int[layout.blocks()];
        for (int j = 0; j < blockPositions.length; j++) blockPositions[j] = layout.blockPositions(j);
        groupBlocks = new int[groups + 1];
        for (int k = 0; k < groups; k++) groupBlocks[k + 1] = layout.endBlock(k);
        groupSpans = new int[groups + 1];
        for (int k = 0; k <= groups; k++) groupSpans[k] = layout.firstSpan(k);
        spanPositions = layout.spanPositions();
        groupPosition = new int[groups + 1];
        for (int k = 0; k < groups; k++) {
            groupPosition[k + 1] = groupPosition[k];
            for (int j = groupBlocks[k]; j < groupBlocks[k + 1]; j++) groupPosition[k + 1] += blockPositions[j];
        }
        int parts = Math.max(1, Math.min(groups, Math.round(layout.cols() * layout.bits() / 8f / PART_BYTES)));
        partGroups = new int[parts + 1];
        for (int p = 0; p <= parts; p++) partGroups[p] = groups * p / parts;
        metaOffset = new long[groups];
        chunkOffset = new long[groups];
        for (int k = 0; k < groups; k++) {
            metaOffset[k] = layout.metaOffset(k);
            chunkOffset[k] = layout.chunkOffset(k);
        }
    }

    int parts() {
        return partGroups.length - 1;
    }
}
