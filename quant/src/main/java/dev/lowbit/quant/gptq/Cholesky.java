package dev.lowbit.quant.gptq;

/** Dense Cholesky factorisation and what GPTQ builds from it, in double, row-major n × n. */
final class Cholesky {
    private Cholesky() {}

    /** L with L·Lᵀ = a (lower triangle; zeros above); fails when a is not positive definite. */
    static double[] lower(double[] a, int n) {
        double[] l = new double[a.length];
        for (int j = 0; j < n; j++) {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
            if (!(d > 0)) throw new ArithmeticException("matrix not positive definite at column " + j);
            double ljj = Math.sqrt(d);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = s / ljj;
            }
        }
        return l;
    }

    /** The inverse of a lower-triangular matrix (lower triangular). */
    static double[] invertLower(double[] l, int n) {
        double[] inv = new double[l.length];
        for (int j = 0; j < n; j++) {
            inv[j * n + j] = 1 / l[j * n + j];
            for (int i = j + 1; i < n; i++) {
                double s = 0;
                for (int k = j; k < i; k++) s += l[i * n + k] * inv[k * n + j];
                inv[i * n + j] = -s / l[i * n + i];
            }
        }
        return inv;
    }

    /**
     * U, upper triangular, with Uᵀ·U = a⁻¹: GPTQ's "inverse Hessian in Cholesky form". From a = L·Lᵀ,
     * a⁻¹ = L⁻ᵀ·L⁻¹, and U is the transpose of the lower factor of a⁻¹.
     */
    static double[] inverseUpper(double[] a, int n) {
        double[] li = invertLower(lower(a, n), n);
        double[] inv = new double[a.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0; // (L⁻ᵀ L⁻¹)_ij = Σ_k li[k][i]·li[k][j], k ≥ max(i, j) = i
                for (int k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
                inv[i * n + j] = inv[j * n + i] = s;
            }
        }
        double[] l2 = lower(inv, n);
        double[] u = new double[a.length];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) u[j * n + i] = l2[i * n + j];
        return u;
    }
}
