package dev.lowbit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

    @Test
    void presetsTakeAGroupSuffix() {
        assertEquals(32, QuantPresets.recipe("nf4").groupSize());
        QuantRecipe g64 = QuantPresets.recipe("nf4/g64");
        assertEquals(64, g64.groupSize());
        assertEquals("nf4", g64.grid().name());
        assertEquals(0, QuantPresets.recipe("int2/grow").groupSize());
        assertNull(QuantPresets.recipe("f32"));
        for (String bad : new String[] {"nf4/64", "nf4/g0", "nf4/g-32", "nf4/gx", "nf5/g64", "nf4/"}) {
            assertThrows(IllegalArgumentException.class, () -> QuantPresets.recipe(bad), bad);
        }
    }
}
