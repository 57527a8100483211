package dev.lowbit.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import jdk.incubator.vector.ByteVector;

/**
 * The table-lookup kernels, and the one this JVM runs, chosen once from what the CPU and the JVM offer:
 * AVX-512 with VBMI → {@code avx512}; 256-bit vectors (AVX2) → {@code avx2}; 128-bit vectors (NEON, SSE) →
 * {@code 128}; nothing usable → {@code scalar}. On {@code avx2}, evenly spaced 4-bit codes run the dot-product
 * kernel ({@link LutDotAvx2Kernel}), and 4-bit codes with small integer levels (E2M1) its twin
 * ({@link LutLevelDotAvx2Kernel}). {@code -Dlowbit.kernel=NAME} (or the environment variable {@code LOWBIT_KERNEL})
 * forces one; a kernel gives the same results, bit for bit, on any machine (the lookup kernels all the same ones,
 * the dot-product kernel those of its input's rounding), but one forced onto a CPU without its instructions runs
 * the Vector API's Java fallbacks, far slower.
 */
public final class LutKernels {
    public static final LutKernel AVX512 = new Lut512Kernel();
    public static final LutKernel AVX2 = new LutAvx2Kernel();
    public static final LutKernel V128 = new Lut128Kernel();
    public static final LutKernel SCALAR = new LutScalarKernel();
    public static final List<LutKernel> ALL = List.of(AVX512, AVX2, V128, SCALAR);
    /** What {@link #AVX2} runs 4-bit integer codes on, and its reference; not chosen by name. */
    static final LutKernel DOT_AVX2 = new LutDotAvx2Kernel(), DOT_SCALAR = new LutDotScalarKernel();
    /** What {@link #AVX2} runs 4-bit codes with small integer levels (E2M1) on; its reference is {@link #DOT_SCALAR}. */
    static final LutKernel LEVEL_DOT_AVX2 = new LutLevelDotAvx2Kernel();

    private record Choice(LutKernel kernel, String reason) {}
    private static final Choice CHOICE = choose();

    private LutKernels() {}

    /** The kernel this JVM runs. */
    public static LutKernel chosen() {
        return CHOICE.kernel();
    }

    /** Why {@link #chosen()} runs, in a few words, for {@code --version}, {@code bench} and {@code inspect}. */
    public static String reason() {
        return CHOICE.reason();
    }

    /** "avx2 (256-bit vectors, no AVX-512 VBMI)" and the like. */
    public static String describe() {
        return chosen().name() + " (" + reason() + ")";
    }

    /** The kernel of that name: avx512, avx2, 128 or scalar. */
    public static LutKernel named(String name) {
        for (LutKernel k : ALL) if (k.name().equals(name.toLowerCase(Locale.ROOT))) return k;
        throw new IllegalArgumentException("unknown table-lookup kernel '" + name + "' (avx512, avx2, 128, scalar)");
    }

    private static Choice choose() {
        String forced = System.getProperty("lowbit.kernel", System.getenv("LOWBIT_KERNEL"));
        if (forced != null && !forced.isBlank()) {
            return new Choice(named(forced.strip()), "forced by " + (System.getProperty("lowbit.kernel") != null ? "-Dlowbit.kernel" : "LOWBIT_KERNEL"));
        }
        int bits = ByteVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits >= 512 && cpuHasVbmi()) return new Choice(AVX512, "512-bit vectors with AVX-512 VBMI");
        if (bits >= 256) return new Choice(AVX2, bits >= 512 ? "512-bit vectors without AVX-512 VBMI" : "256-bit vectors, no AVX-512");
        if (bits >= 128) return new Choice(V128, "128-bit vectors");
        return new Choice(SCALAR, "no vectors of 128 bits or more");
    }

    /**
     * Whether the CPU has AVX-512 VBMI ({@code vpermb}, one instruction for a 512-bit byte permute; without it C2
     * builds one from several). The JVM does not say; Linux's /proc/cpuinfo does. Elsewhere a JVM offering 512-bit
     * vectors is taken to have it.
     */
    private static boolean cpuHasVbmi() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) return List.of(line.split("[\\s:]+")).contains("avx512vbmi");
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or not readable: fall through.
        }
        return true;
    }
}
