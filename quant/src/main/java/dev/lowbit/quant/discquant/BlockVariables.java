package dev.lowbit.quant.discquant;

import dev.lowbit.engine.train.BlockGradients;
import dev.lowbit.engine.train.Dense;
import dev.lowbit.engine.train.DenseBlock;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.GroupCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.grid.Grid;
import java.util.SplittableRandom;

/**
 * DiscQuant's variables for one block's seven linear layers (q, k, v, o, gate, up, down), and the blocks they make:
 * the student the optimiser moves, and the roundings. Both scopes hold one of these per block they round.
 */
final class BlockVariables {
    private final DenseBlock teacher;
    private final RoundingVariables[] vars;
    private final DenseBlock student;

    /** Variables for each linear of {@code teacher}, each started from the next split of {@code random}, in layer order. */
    BlockVariables(DenseBlock teacher, Grid grid, RtnQuantizer rtn, SplittableRandom random) {
        this.teacher = teacher;
        Dense[] linears = teacher.linears();
        vars = new RoundingVariables[linears.length];
        Dense[] current = new Dense[linears.length];
        for (int i = 0; i < linears.length; i++) {
            vars[i] = new RoundingVariables(grid, rtn, linears[i], random.split());
            current[i] = vars[i].dense();
        }
        student = teacher.withLinears(current);
    }

    /** The block with W(x), updated in place by {@link #step}. */
    DenseBlock student() {
        return student;
    }

    /** 12·mean((RTN(W) − W)²) of each linear: the terms of δ². */
    double[] deltaTerms() {
        double[] t = new double[vars.length];
        for (int i = 0; i < t.length; i++) t[i] = 12 * vars[i].rtnSquaredError();
        return t;
    }

    /** Bytes of the variables (not of the teacher's weights). */
    long bytes() {
        long n = 0;
        for (RoundingVariables v : vars) n += v.bytes();
        return n;
    }

    /** One optimiser step of every linear from its gradient in {@code grads}. */
    void step(BlockGradients grads, float lr, int t, DiscQuantSettings s, WorkerPool pool) {
        for (int i = 0; i < vars.length; i++) vars[i].step(grads.linear(i), lr, t, s, pool);
    }

    /** The block with RTN's rounding, or with the final one. */
    DenseBlock rounded(boolean rtn) {
        Dense[] d = new Dense[vars.length];
        for (int i = 0; i < d.length; i++) d[i] = vars[i].rounded(rtn);
        return teacher.withLinears(d);
    }

    /** The final rounding's codes, one per linear. */
    GroupCodes[] codes() {
        GroupCodes[] g = new GroupCodes[vars.length];
        for (int i = 0; i < g.length; i++) g[i] = vars[i].codes();
        return g;
    }
}
