package dev.lowbit.engine.batch;

import java.util.List;

/**
 * Ends a streamed text at the first of some stop strings, which are not part of the output. Text that could be the
 * start of a stop string is held back until the next piece settles it, so a client never receives part of one.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    public StopStrings(List<String> stops) {
        for (String s : stops) if (s.isEmpty()) throw new IllegalArgumentException("an empty stop string");
        this.stops = List.copyOf(stops);
    }

    /** Takes the next piece; returns the text that can be sent now (everything before a stop string, once one is found). */
    public String push(String piece) {
        if (stopped) return "";
        held.append(piece);
        int first = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        if (first >= 0) {
            stopped = true;
            String out = held.substring(0, first);
            held.setLength(0);
            return out;
        }
        String h = held.toString();
        int keep = 0; // the longest end of the held text that begins a stop string
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, h.length()); k > keep; k--) {
                if (h.regionMatches(h.length() - k, s, 0, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** Whether a stop string was found; nothing more will be sent. */
    public boolean stopped() {
        return stopped;
    }

    /** What is still held back, at the end of the generation. */
    public String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }
}
