package dev.lowbit.kernels;

/**
 * One token's input prepared for table-lookup matrices of one {@link LutForm}: its {@link LutTables}, one copy per
 * thread that reads them. {@link #prepare} only takes the vector; each thread builds its own copy at its first unit
 * of work ({@link #tables}), inside the parallel loop. One shared copy, built by the caller before the loop, cost
 * 2-thread decode about 7% on the 1B shape (1B int4, AVX-512: the other core read every table from the builder's
 * cache; docs/KERNELS.md), and left the workers idle while it was built.
 */
final class LutInput implements TileInput {
    private final LutForm form;
    private final ThreadLocal<Copy> copies;
    private float[] x = new float[0];
    private long generation;
    private float[] partials = new float[0];

    /** A thread's tables, and the input they were built from (a generation number). */
    private static final class Copy {
        final LutTables tables;
        long generation = -1;

        Copy(LutTables tables) {
            this.tables = tables;
        }
    }

    LutInput(LutForm form) {
        this.form = form;
        this.copies = ThreadLocal.withInitial(() -> new Copy(form.newTables()));
    }

    @Override
    public void prepare(float[] x) {
        this.x = x;
        generation++;
    }

    @Override
    public float[] floats() {
        return x;
    }

    /** The calling thread's tables of the input last prepared, built on first use. */
    LutTables tables() {
        Copy c = copies.get();
        if (c.generation != generation) {
            c.generation = -1; // a failed build must not leave half-written tables marked as current
            c.tables.build(x);
            c.generation = generation;
        }
        return c.tables;
    }

    @Override
    public float[] partials(int size) {
        if (partials.length < size) partials = new float[size];
        return partials;
    }
}
