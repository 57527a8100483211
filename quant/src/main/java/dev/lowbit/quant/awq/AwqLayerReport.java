package dev.lowbit.quant.awq;

/**
 * What AWQ chose for one decoder block. α is NaN for a group that was not searched (o under grouped-query
 * attention); gains are RTN's calibration loss over the chosen scales' (1 = no better than RTN). Outlier ratios
 * (max / median channel mean |x|) describe the block's inputs: attention in, attention out, MLP in, MLP hidden.
 */
public record AwqLayerReport(int layer, float qkvAlpha, float oAlpha, float mlpAlpha, float downAlpha,
                             double qkvGain, double oGain, double mlpGain, double downGain,
                             double clippedFraction, double meanClipRatio, float[] outlierRatios) {}
