package dev.lowbit.quant.discquant;

import java.util.SplittableRandom;

/** The calibration windows of each step: a seeded shuffle, taken in turn, reshuffled when used up. */
final class WindowOrder {
    private final int[] order;
    private final SplittableRandom random;
    private int next;

    WindowOrder(int windows, long seed) {
        order = new int[windows];
        for (int i = 0; i < windows; i++) order[i] = i;
        random = new SplittableRandom(seed);
        shuffle();
    }

    /** The next {@code count} window indices (fewer when there are fewer windows). */
    int[] take(int count) {
        int[] batch = new int[Math.min(count, order.length)];
        for (int i = 0; i < batch.length; i++) {
            if (next == order.length) shuffle();
            batch[i] = order[next++];
        }
        return batch;
    }

    private void shuffle() {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        next = 0;
    }
}
