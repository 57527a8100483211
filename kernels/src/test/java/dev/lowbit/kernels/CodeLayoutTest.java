package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The row bit stream: codes written one at a time by {@link CodeLayout#setCode} read back by {@link CodeLayout#readCodes}. */
class CodeLayoutTest {

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void readCodesReturnsTheCodesSetCodeWrote(int bits) {
        for (int cols : new int[] {1, 7, 32, 100, 2049}) { // rows ending inside a byte, and on a byte
            CodeLayout layout = new CodeLayout(1, cols, bits, 32);
            SplittableRandom rnd = new SplittableRandom(bits * 1000L + cols);
            int[] expected = new int[cols];
            byte[] row = new byte[layout.rowBytes()];
            for (int c = 0; c < cols; c++) {
                expected[c] = c < 2 ? (1 << bits) - 1 - c : rnd.nextInt(1 << bits); // the largest codes at least once
                CodeLayout.setCode(row, 0, c, bits, expected[c]);
            }
            byte[] codes = new byte[cols + 1];
            codes[cols] = 42;
            layout.readCodes(row, codes);
            for (int c = 0; c < cols; c++) assertEquals(expected[c], codes[c] & 0xFF, bits + " bits, " + cols + " columns, code " + c);
            assertEquals(42, codes[cols], "nothing written past the row's codes");
        }
    }
}
