package dev.lowbit.cli;

import static dev.lowbit.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.cli.CliTest.Run;
import dev.lowbit.engine.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeCliTest {
    static final String MODEL = SharedData.require("models/stories260K/stories260K.bin").toString();
    static final String TEXT = SharedData.require("data/tinystories/tinystories_sample.txt").toString();
    static final String SHAKESPEARE = SharedData.require("data/tinyshakespeare/input.txt").toString();

    @TempDir Path dir;

    @Test
    void quantizeVerifyGenerateKldInspect() throws Exception {
        String out = dir.resolve("s.lowbit").toString();
        Run q = run("quantize", MODEL, out, "--grid", "int", "--bits", "8", "--group", "64", "--embeddings", "8");
        assertEquals(0, q.exit(), q.err());
        assertTrue(q.out().contains("blk.4.ffn_down"), q.out());
        // 8-bit codes + an f16 scale and f16 offset per 64 weights = 8.5 bits; ffn_down's 172 columns make 3 groups
        // (and rows the int8 kernel cannot take in 64s: it runs as two 4-bit table-lookup passes).
        assertTrue(q.out().matches("(?s).*blk\\.0\\.attn_q +64x64 +int8/g64 +8\\.500 .*"), q.out());
        assertTrue(q.out().matches("(?s).*blk\\.0\\.ffn_down +64x172 +int8/g64 lut 4\\+4 +8\\.558 .*"), q.out());
        assertTrue(q.err().contains("ETA"), "progress bar");

        Run v = run("verify", out);
        assertEquals(0, v.exit(), v.err());
        assertTrue(v.out().startsWith(out + ": OK (47 tensors"), v.out());

        // 8-bit weights keep the greedy story on the fp32 model's tracks (whose output the golden tests pin).
        Run g = run("generate", "-m", out, "--temperature", "0", "-n", "12");
        assertEquals(0, g.exit(), g.err());
        assertEquals(run("generate", "-m", MODEL, "--temperature", "0", "-n", "12").out(), g.out());

        Run k = run("kld", "--base", MODEL, "-m", out, "--text", TEXT);
        assertEquals(0, k.exit(), k.err());
        Matcher m = Pattern.compile("mean KLD: +([0-9.]+)").matcher(k.out());
        assertTrue(m.find(), k.out());
        // 0.0006 with float inputs; on AVX2 the 4-bit passes multiply the input quantized to 8 bits per block of 32 (as
        // ggml's Q8_0), in a batch as token by token: 0.0020 (docs/QUALITY.md).
        assertTrue(Double.parseDouble(m.group(1)) < 0.003, k.out());
        assertTrue(k.out().contains("top-1 agreement:"), k.out());

        Run i = run("inspect", out);
        assertEquals(0, i.exit(), i.err());
        assertTrue(i.out().contains("grid=int8") && i.out().contains("group_size=64"), i.out());
        assertTrue(i.out().contains("kernel:          table-lookup kernel: " + dev.lowbit.kernels.LutKernels.describe() + "\n"), i.out());
    }

    @Test
    void embeddingPrecisionSixOrEight() throws Exception {
        String six = dir.resolve("e6.lowbit").toString(), eight = dir.resolve("e8.lowbit").toString();
        Run q6 = run("quantize", MODEL, six, "--bits", "4");
        assertEquals(0, q6.exit(), q6.err());
        // The default: 6-bit codes + an f16 scale per 32 = 6.5 bits, on the kernel as a 4-bit and a 2-bit pass.
        assertTrue(q6.out().matches("(?s).*token_embd +512x64 +int6-sym/g32 lut 4\\+2 +6\\.500 .*"), q6.out());
        Run q8 = run("quantize", MODEL, eight, "--bits", "4", "--embeddings", "8");
        assertEquals(0, q8.exit(), q8.err());
        assertTrue(q8.out().matches("(?s).*token_embd +512x64 +int8-sym/g32 +8\\.500 .*"), q8.out());
        assertTrue(Files.size(Path.of(six)) < Files.size(Path.of(eight)));
        // With 4-bit layers, 6-bit embeddings add little: measured KLD 0.11359 against 0.11335 at 8 bits.
        double k6 = kld(six), k8 = kld(eight);
        assertTrue(k6 < 1.05 * k8 && k8 < 0.2, k6 + " vs " + k8);
        Run bad = run("quantize", MODEL, dir.resolve("x.lowbit").toString(), "--embeddings", "7");
        assertEquals(1, bad.exit(), bad.err());
        assertTrue(bad.err().contains("precision must be 6, 8, 16 or 32"), bad.err());
    }

    private static double kld(String model) {
        Run k = run("kld", "--base", MODEL, "-m", model, "--text", TEXT);
        assertEquals(0, k.exit(), k.err());
        Matcher m = Pattern.compile("mean KLD: +([0-9.]+)").matcher(k.out());
        assertTrue(m.find(), k.out());
        return Double.parseDouble(m.group(1));
    }

    @Test
    void existingOutputNeedsForce() throws Exception {
        Path out = dir.resolve("exists.lowbit");
        Files.writeString(out, "keep me");
        Run r = run("quantize", MODEL, out.toString());
        assertEquals(1, r.exit());
        assertEquals("lowbit: error: " + out + ": already exists (use --force to overwrite)\n", r.err());
        assertEquals("keep me", Files.readString(out));
        assertEquals(0, run("quantize", MODEL, out.toString(), "--force", "--grid", "nf4").exit());
        assertEquals(0, run("verify", out.toString()).exit());
    }

    @Test
    void inconsistentOptionsAreOneClearLine() {
        String out = dir.resolve("x.lowbit").toString();
        assertEquals("lowbit: error: --bits applies to the int grid only; e2m1 fixes its own width\n",
                run("quantize", MODEL, out, "--grid", "e2m1", "--bits", "3").err());
        assertEquals("lowbit: error: mxfp4 shares one scale per block of 32 (--group 32)\n",
                run("quantize", MODEL, out, "--grid", "mxfp4", "--group", "64").err());
        assertTrue(run("quantize", MODEL, out, "--grid", "fp5").err().startsWith("lowbit: error: unknown grid 'fp5'"));
        assertTrue(run("quantize", MODEL, out, "--group", "0").err().contains("--group must be a positive number or 'row'"));
        assertTrue(run("quantize", MODEL, out, "--bits", "9").err().contains("1 to 8 bits"));
        assertTrue(run("quantize", MODEL, out, "--method", "obq").err().contains("unknown --method obq"));
        assertTrue(run("quantize", MODEL, out, "--method", "discquant", "--calib", TEXT, "--scope", "layer").err()
                .contains("--scope must be model or block, got layer"));
        assertTrue(run("quantize", MODEL, out, "--method", "discquant", "--calib", TEXT, "--steps", "0").err().contains("--steps must be at least 1"));
        assertTrue(run("quantize", MODEL, out, "--method", "gptq", "--calib", TEXT, "--damp", "-1").err().contains("--damp must be zero or positive"));
        assertTrue(run("quantize", MODEL, out, "--method", "awq").err().startsWith("lowbit: error: --method awq needs calibration text: --calib FILE"));
        assertEquals("lowbit: error: " + dir.resolve("none.txt") + ": no such calibration file\n",
                run("quantize", MODEL, out, "--method", "awq", "--calib", dir.resolve("none.txt").toString()).err());
        assertTrue(run("quantize", MODEL, out, "--calib", TEXT).err().contains("--calib applies to every method but rtn"));
        assertEquals(0, dir.toFile().list().length, "no output written");
    }

    /** GPTQ, DiscQuant in both scopes and the AWQ compositions write files that load, run on the table-lookup kernel and record their settings. */
    @Test
    void dataDependentRoundingFromTheCommandLine() {
        String[][] methods = {
                {"gptq", "--act-order"},
                {"discquant", "--steps", "6"},
                {"discquant", "--scope", "block", "--steps", "4"},
                {"awq+gptq"},
                {"awq+discquant", "--steps", "4"}};
        for (String[] m : methods) {
            String out = dir.resolve(m[0].replace('+', '-') + m.length + ".lowbit").toString();
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("quantize", MODEL, out, "--method", m[0], "--calib", SHAKESPEARE,
                    "--calib-samples", "4", "--calib-len", "64", "--bits", "2"));
            args.addAll(java.util.List.of(m).subList(1, m.length));
            Run q = run(args.toArray(String[]::new));
            assertEquals(0, q.exit(), q.err());
            assertTrue(q.err().contains("ETA"), "progress bar: " + q.err());
            assertTrue(q.out().contains("blk.4.ffn_down") && q.out().contains("int2/g32 lut"), "stored for the table-lookup kernel: " + q.out());
            Run i = run("inspect", out);
            assertEquals(0, i.exit(), i.err());
            assertTrue(i.out().contains("method=" + m[0]), i.out());
            if (m[0].endsWith("discquant")) {
                assertTrue(q.out().contains("DiscQuant (" + (m.length > 3 ? "block" : "model") + " scope)"), q.out());
                assertTrue(i.out().contains("discquant={scope=" + (m.length > 3 ? "block" : "model") + ", steps=" + m[m.length - 1]), i.out());
                assertTrue(i.out().contains("rho=200.0, clamp=1.0"), i.out());
            } else {
                assertTrue(i.out().contains("gptq={calibration=input.txt: 4 windows of 64 tokens") && i.out().contains("act_order=" + (m.length > 1)), i.out());
            }
            if (m[0].startsWith("awq+")) assertTrue(i.out().contains("awq={calibration="), i.out());
            Run g = run("generate", "-m", out, "--temperature", "0", "-n", "8");
            assertEquals(0, g.exit(), g.err());
        }
    }

    @Test
    void awqFromTheCommandLine() {
        String out = dir.resolve("awq.lowbit").toString();
        Run q = run("quantize", MODEL, out, "--method", "awq", "--calib", SHAKESPEARE, "--calib-samples", "6", "--calib-len", "128", "--bits", "3");
        assertEquals(0, q.exit(), q.err());
        assertTrue(q.out().contains("AWQ calibration: input.txt: 6 windows of 128 tokens (768 tokens;"), q.out());
        assertTrue(q.out().matches("(?s).*\\n4 +[0-9.]+ +- +[0-9.]+ +[0-9.]+ .*"), "a row per block, o not scaled under GQA: " + q.out());
        assertTrue(q.err().contains("awq [") && q.err().contains("ETA"), "progress per block");
        Run i = run("inspect", out);
        assertEquals(0, i.exit(), i.err());
        assertTrue(i.out().contains("method=awq"), i.out());
        assertTrue(i.out().contains("awq={calibration=input.txt: 6 windows of 128 tokens"), i.out());
        assertTrue(i.out().contains("blocks=[5 entries]"), i.out());
        Run g = run("generate", "-m", out, "--temperature", "0", "-n", "8");
        assertEquals(0, g.exit(), g.err());
    }

    @Test
    void verifyReportsCorruption() throws Exception {
        Path out = dir.resolve("c.lowbit");
        assertEquals(0, run("quantize", MODEL, out.toString()).exit());
        byte[] b = Files.readAllBytes(out);
        b[b.length - 70] ^= 1; // inside the last tensor's data
        Files.write(out, b);
        Run atOpen = run("generate", "-m", out.toString(), "--verify", "-n", "1");
        assertEquals(1, atOpen.exit());
        assertTrue(atOpen.err().contains("corrupt"), atOpen.err());
        assertEquals("", atOpen.out(), "nothing generated from a corrupt file");
        Run v = run("verify", out.toString());
        assertEquals(1, v.exit());
        assertTrue(v.err().startsWith("lowbit: error: " + out + ": tensor "), v.err());
        assertTrue(v.err().contains("corrupt"), v.err());
        assertEquals(1, v.err().lines().count());
    }

    @Test
    void everyGridQuantizesAndRuns() {
        for (String[] grid : new String[][] {{"--grid", "int", "--bits", "2", "--sym"}, {"--grid", "e3m0"}, {"--grid", "e2m2"},
                {"--grid", "e3m2"}, {"--grid", "e4m3"}, {"--grid", "e5m2"}, {"--grid", "mxfp4"}, {"--grid", "codebook:-1,-0.4,0,0.4,1"},
                {"--grid", "int", "--bits", "1", "--group", "row", "--search", "--embeddings", "16", "--keep", "blk.0.*"}}) {
            String out = dir.resolve("g.lowbit").toString();
            String[] args = new String[grid.length + 4];
            args[0] = "quantize";
            args[1] = MODEL;
            args[2] = out;
            args[3] = "--force";
            System.arraycopy(grid, 0, args, 4, grid.length);
            Run q = run(args);
            assertEquals(0, q.exit(), String.join(" ", grid) + ": " + q.err());
            Run g = run("generate", "-m", out, "-n", "5", "--seed", "1");
            assertEquals(0, g.exit(), String.join(" ", grid) + ": " + g.err());
        }
    }
}
