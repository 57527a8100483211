package dev.lowbit.quant;

import dev.lowbit.kernels.CodeLayout;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.ScaleFormat;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.GroupScale;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A matrix rounded by a data-dependent method (GPTQ, DiscQuant): one code per weight ({@code rows × cols}) and one
 * scale per group of {@code groupWidth} inputs, the same storage RTN writes. {@link #toTensor} stores it.
 */
public record GroupCodes(Grid grid, int rows, int cols, int groupWidth, byte[] codes, GroupScale[] scales) {
    public GroupCodes {
        if (codes.length != (long) rows * cols) throw new IllegalArgumentException(codes.length + " codes for " + rows + "x" + cols);
        int perRow = (cols + groupWidth - 1) / groupWidth;
        if (scales.length != (long) rows * perRow) throw new IllegalArgumentException(scales.length + " scales for " + rows + " rows of " + perRow + " groups");
    }

    /** The weight that code c of weight (r, col) stands for. */
    public float value(int r, int col) {
        GroupScale s = scales[r * groupsPerRow() + col / groupWidth];
        return s.scale() * grid.level(codes[r * cols + col] & 0xFF) + s.offset();
    }

    public int groupsPerRow() {
        return (cols + groupWidth - 1) / groupWidth;
    }

    /** The dequantized matrix, row-major. */
    public float[] values() {
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) v[r * cols + c] = value(r, c);
        return v;
    }

    /** The rounding stored as a codebook matrix, with its error against {@code original} (row-major). */
    public QuantizedTensor toTensor(float[] original) {
        CodeLayout layout = new CodeLayout(rows, cols, grid.bits(), groupWidth);
        ScaleFormat format = grid.scaleFormat();
        Arena arena = Arena.ofAuto();
        MemorySegment codeBytes = arena.allocate(layout.codeBytes(), 64);
        MemorySegment scaleBytes = arena.allocate(layout.groups() * format.bytes(), 64);
        MemorySegment offsets = grid.hasOffset() ? arena.allocate(layout.groups() * 2, 64) : null;
        byte[] packed = new byte[layout.rowBytes()];
        double error = 0, norm = 0;
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(packed, (byte) 0);
            for (int c = 0; c < cols; c++) {
                CodeLayout.setCode(packed, 0, c, grid.bits(), codes[r * cols + c] & 0xFF);
                double d = original[r * cols + c] - value(r, c);
                error += d * d;
                norm += (double) original[r * cols + c] * original[r * cols + c];
            }
            MemorySegment.copy(packed, 0, codeBytes, ValueLayout.JAVA_BYTE, (long) r * packed.length, packed.length);
        }
        for (int g = 0; g < scales.length; g++) {
            format.write(scaleBytes, g, scales[g].scale());
            if (offsets != null) ScaleFormat.F16.write(offsets, g, scales[g].offset());
        }
        CodebookMatrix m = new CodebookMatrix(layout, grid.levels(), format, codeBytes, scaleBytes, offsets);
        return new QuantizedTensor(m, norm == 0 ? 0 : Math.sqrt(error / norm));
    }
}
