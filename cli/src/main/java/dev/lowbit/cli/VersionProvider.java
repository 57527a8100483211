package dev.lowbit.cli;

import dev.lowbit.kernels.LutKernels;
import picocli.CommandLine.IVersionProvider;

/** {@code lowbit --version}: the version, the JVM, and the table-lookup kernel this machine runs and why. */
final class VersionProvider implements IVersionProvider {
    static final String VERSION = "lowbit 0.1.0";

    @Override
    public String[] getVersion() {
        return new String[] {VERSION, "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")", kernelLine()};
    }

    /** "table-lookup kernel: avx2 (256-bit vectors, no AVX-512)", as --version, bench and inspect print it. */
    static String kernelLine() {
        return "table-lookup kernel: " + LutKernels.describe();
    }
}
