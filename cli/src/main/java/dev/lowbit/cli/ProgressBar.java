package dev.lowbit.cli;

import dev.lowbit.engine.eval.Progress;
import java.io.PrintWriter;

/** A one-line progress bar with elapsed time and ETA, redrawn in place on stderr. */
final class ProgressBar implements Progress {
    private static final int WIDTH = 30;
    private final PrintWriter out;
    private final String label;
    private final boolean bytes;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(PrintWriter out, String label) {
        this(out, label, false);
    }

    /** With {@code bytes}, done and total are shown in MB. */
    ProgressBar(PrintWriter out, String label, boolean bytes) {
        this.out = out;
        this.label = label;
        this.bytes = bytes;
    }

    @Override
    public void update(long done, long total, String status) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) return; // at most 10 redraws per second
        lastDraw = now;
        double fraction = total <= 0 ? 1 : Math.min(1, (double) done / total);
        int filled = (int) Math.round(fraction * WIDTH);
        double elapsed = (now - start) / 1e9;
        double eta = done == 0 ? Double.NaN : elapsed * (total - done) / done;
        out.print("\r" + label + " [" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + (bytes ? String.format("%.1f/%.1f MB", done / 1e6, total / 1e6) : done + "/" + total)
                + "  " + time(elapsed) + " elapsed, ETA " + time(eta) + (status.isEmpty() ? "" : "  " + status) + "\u001b[K");
        if (done >= total) out.println();
        out.flush();
    }

    static String time(double seconds) {
        if (Double.isNaN(seconds)) return "--:--";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
