package dev.lowbit.quant.discquant;

import dev.lowbit.quant.GroupCodes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DiscQuant's rounding of every block (seven linear layers each: q, k, v, o, gate, up, down) and what it cost.
 *
 * @param firstLoss the loss (KL per position, or the block scope's normalised error, averaged over blocks) of the
 *                  first step, from the random start
 * @param lastLoss  the same at the last step
 * @param rtnLoss   the loss of RTN's rounding on the same windows
 * @param finalLoss the loss of the final rounding
 * @param workingBytes the memory the optimisation holds (variables, moments, passes), without the model itself
 */
public record DiscQuantResult(List<GroupCodes[]> blocks, double firstLoss, double lastLoss, double rtnLoss, double finalLoss, double seconds,
                              double secondsPerStep, long workingBytes) {
    public DiscQuantResult {
        blocks = List.copyOf(blocks);
    }

    public Map<String, Object> toJson(DiscQuantSettings s, String calibration) {
        Map<String, Object> m = new LinkedHashMap<>(s.toJson());
        m.put("calibration", calibration);
        m.put("loss", s.scope() == DiscQuantSettings.Scope.MODEL ? "kl" : "block output error / delta^2");
        m.put("rtn_loss", rtnLoss);
        m.put("final_loss", finalLoss);
        m.put("seconds", seconds);
        return m;
    }
}
