package dev.lowbit.engine.eval;

/**
 * Non-overlapping evaluation windows over a token stream: each is BOS (when {@code bos >= 0}) followed by the
 * next ctx − 1 text tokens (ctx without BOS). Every token after the first of a window is predicted.
 */
record EvalWindows(int[] text, int ctx, int bos) {
    EvalWindows {
        if (ctx < 2) throw new IllegalArgumentException("context must be at least 2 tokens, got " + ctx);
        if (text.length < (bos >= 0 ? 1 : 2)) throw new IllegalArgumentException("the text has too few tokens to evaluate");
    }

    int body() {
        return bos >= 0 ? ctx - 1 : ctx;
    }

    int count() {
        return (text.length + body() - 1) / body();
    }

    /** Writes window {@code w} into {@code window} (length ≥ ctx); returns its length. */
    int fill(int w, int[] window) {
        int len = 0;
        if (bos >= 0) window[len++] = bos;
        int start = w * body();
        int take = Math.min(body(), text.length - start);
        System.arraycopy(text, start, window, len, take);
        return len + take;
    }
}
