package dev.lowbit.engine.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {
    @Test
    void holdsBackWhatMayStartAStopStringAndCutsAtTheFirstOne() {
        StopStrings s = new StopStrings(List.of("\n\n", "END"));
        assertEquals("Hello", s.push("Hello"));
        assertEquals(" wor", s.push(" wor"));
        assertEquals("ld", s.push("ld\n"));   // "\n" may start "\n\n": held
        assertEquals("\n", s.push("E"));       // "\nE": only "E" may start a stop ("END")
        assertEquals("Ex", s.push("x"));
        assertEquals("", s.push("\n\nrest"));
        assertTrue(s.stopped());
    }

    @Test
    void heldTextIsReleasedWhenTheNextPieceDecides() {
        StopStrings s = new StopStrings(List.of("END"));
        assertEquals("a", s.push("aE"));
        assertEquals("", s.push("N"));
        assertEquals("ENx", s.push("x"));
        assertEquals("b", s.push("bEN"));
        assertEquals("", s.push("D tail"));
        assertTrue(s.stopped());
        assertEquals("", s.push("more"));
        assertEquals("", s.flush());
    }

    @Test
    void theEarliestOfSeveralStopsWinsAndFlushGivesWhatWasHeld() {
        StopStrings s = new StopStrings(List.of("cd", "b"));
        assertEquals("a", s.push("abcd"));
        assertTrue(s.stopped());
        StopStrings t = new StopStrings(List.of("xyz"));
        assertEquals("ab", t.push("abxy"));
        assertFalse(t.stopped());
        assertEquals("xy", t.flush());
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("")));
    }
}
