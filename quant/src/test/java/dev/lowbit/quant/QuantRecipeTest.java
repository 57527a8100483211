package dev.lowbit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.quant.grid.IntegerGrid;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuantRecipeTest {
    @Test
    void decidesPerTensor() {
        QuantRecipe r = new QuantRecipe("rtn", new IntegerGrid(4, false), 32, false, TensorPrecision.INT8,
                List.of("blk.0.*", "ffn_down$"));
        assertEquals(QuantRecipe.Action.INT8, r.actionFor("token_embd"));
        assertEquals(QuantRecipe.Action.INT8, r.actionFor("output"));
        assertEquals(QuantRecipe.Action.KEEP, r.actionFor("blk.0.attn_q"));      // glob
        assertEquals(QuantRecipe.Action.KEEP, r.actionFor("blk.7.ffn_down"));    // regex
        assertEquals(QuantRecipe.Action.QUANTIZE, r.actionFor("blk.10.attn_q")); // "blk.0.*" is a glob: no match
        assertEquals(QuantRecipe.Action.QUANTIZE, r.actionFor("blk.1.ffn_up"));
        QuantRecipe f16 = new QuantRecipe("rtn", new IntegerGrid(4, false), 32, false, TensorPrecision.F16, List.of());
        assertEquals(QuantRecipe.Action.F16, f16.actionFor("output"));
    }
}
