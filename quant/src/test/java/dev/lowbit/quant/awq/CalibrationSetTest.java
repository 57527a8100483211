package dev.lowbit.quant.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CalibrationSetTest {
    static int[] text(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 100 + i;
        return t;
    }

    @Test
    void windowsAreSpreadEvenlyAndStartWithBos() {
        // 40 tokens make 10 full windows of BOS + 4; asking for 3 takes windows 0, 3 and 6.
        CalibrationSet c = CalibrationSet.of(text(40), 1, 3, 5, "t");
        assertEquals(3, c.windows().length);
        assertArrayEquals(new int[] {1, 100, 101, 102, 103}, c.windows()[0]);
        assertArrayEquals(new int[] {1, 112, 113, 114, 115}, c.windows()[1]);
        assertArrayEquals(new int[] {1, 124, 125, 126, 127}, c.windows()[2]);
        assertEquals(15, c.tokens());
        assertEquals("t: 3 windows of 5 tokens (15 tokens; 40 in the text)", c.description());
    }

    @Test
    void fewerWindowsThanAskedWhenTheTextIsShort() {
        assertEquals(2, CalibrationSet.of(text(9), 1, 128, 5, "t").windows().length);
        assertArrayEquals(new int[] {1, 100, 101, 102}, CalibrationSet.of(text(3), 1, 128, 5, "t").windows()[0]);
        assertThrows(IllegalArgumentException.class, () -> CalibrationSet.of(new int[0], 1, 4, 5, "t"));
    }
}
