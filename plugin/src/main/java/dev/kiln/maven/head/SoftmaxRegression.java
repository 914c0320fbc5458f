package dev.kiln.maven.head;

import java.util.Arrays;

/**
 * Multinomial logistic regression on feature rows, fitted to convergence on the L2-regularised
 * objective with L-BFGS: {@code Σ wᵢ·CE(softmax(W·zᵢ + b), yᵢ) / Σ wᵢ + λ/2·‖W‖²}, where
 * {@code zᵢ} are the features standardised with the training rows' mean and standard deviation
 * (the bias is not penalised). The fitted model is expressed on the raw features (standardisation
 * folded into W and b), so it is a single dense softmax layer. Deterministic: no randomness, one
 * thread, fixed summation order.
 */
public final class SoftmaxRegression {

  /** Gradient max-norm at which the fit has converged. */
  static final double TOLERANCE = 1e-6;
  /** Iteration cap of one fit. */
  static final int MAX_ITERATIONS = 1000;
  private static final int MEMORY = 10;

  private SoftmaxRegression() {}

  /**
   * A fitted head on raw (unstandardised) features.
   *
   * @param weights {@code [classes][features]}
   * @param bias per class
   * @param iterations L-BFGS iterations the fit took
   * @param standardized the parameters in standardised space (for warm starts)
   */
  public record Model(double[][] weights, double[] bias, int iterations, double[] standardized) {

    /** @return softmax probabilities per row */
    public float[][] probabilities(float[][] rows) {
      float[][] out = new float[rows.length][];
      double[] z = new double[bias.length];
      for (int i = 0; i < rows.length; i++) {
        logits(rows[i], z);
        softmax(z);
        out[i] = new float[z.length];
        for (int k = 0; k < z.length; k++) {
          out[i][k] = (float) z[k];
        }
      }
      return out;
    }

    private void logits(float[] x, double[] z) {
      for (int k = 0; k < bias.length; k++) {
        double[] w = weights[k];
        double s = bias[k];
        for (int j = 0; j < x.length; j++) {
          s += w[j] * x[j];
        }
        z[k] = s;
      }
    }

    /** @return the weights as {@code [features][classes]} floats (a dense layer's W) */
    public float[][] denseWeights() {
      float[][] w = new float[weights[0].length][weights.length];
      for (int k = 0; k < weights.length; k++) {
        for (int j = 0; j < weights[k].length; j++) {
          w[j][k] = (float) weights[k][j];
        }
      }
      return w;
    }
  }

  /**
   * @param rows feature rows (all rows of the data set)
   * @param labels label per row
   * @param classes number of labels
   * @param use indices of the rows to fit on
   * @param lambda L2 strength on standardised features (≥ 0)
   * @param classWeights loss weight per label, or null for equal weights
   * @param warm a previous fit on the same rows to start from (a neighbouring λ), or null
   * @return the fitted model
   */
  public static Model fit(float[][] rows, int[] labels, int classes, int[] use, double lambda,
      double[] classWeights, Model warm) {
    return fit(rows, labels, classes, use, lambda, classWeights, warm, TOLERANCE);
  }

  /**
   * As {@link #fit(float[][], int[], int, int[], double, double[], Model)}, stopping once the
   * gradient's max-norm is at most {@code tolerance}.
   *
   * @param tolerance gradient max-norm at which the fit has converged (&gt; 0)
   * @return the fitted model
   */
  static Model fit(float[][] rows, int[] labels, int classes, int[] use, double lambda,
      double[] classWeights, Model warm, double tolerance) {
    if (!(tolerance > 0)) {
      throw new IllegalArgumentException("tolerance must be > 0, was " + tolerance);
    }
    if (use.length == 0) {
      throw new IllegalArgumentException("no rows to fit on");
    }
    if (!(lambda >= 0)) {
      throw new IllegalArgumentException("lambda must be >= 0, was " + lambda);
    }
    Problem p = new Problem(rows, labels, classes, use, lambda, classWeights);
    double[] theta = warm != null && warm.standardized().length == p.size()
        ? warm.standardized().clone() : new double[p.size()];
    int iterations = lbfgs(p, theta, tolerance);
    return p.model(theta, iterations);
  }

  /**
   * The objective and its gradient at standardised parameters θ (for tests).
   *
   * @return the objective; {@code gradient} receives its gradient
   */
  static double objective(float[][] rows, int[] labels, int classes, int[] use, double lambda,
      double[] classWeights, double[] theta, double[] gradient) {
    return new Problem(rows, labels, classes, use, lambda, classWeights).value(theta, gradient);
  }

  /** The objective on one subset of rows: data in row-major doubles, standardisation. */
  private static final class Problem {
    final double[][] x;
    final int[] y;
    final double[] w;
    final double weightSum;
    final int classes;
    final int features;
    final double lambda;
    final double[] mean;
    final double[] scale;

    Problem(float[][] rows, int[] labels, int classes, int[] use, double lambda,
        double[] classWeights) {
      this.classes = classes;
      this.features = rows[use[0]].length;
      this.lambda = lambda;
      x = new double[use.length][features];
      y = new int[use.length];
      w = new double[use.length];
      mean = new double[features];
      scale = new double[features];
      double sum = 0;
      for (int i = 0; i < use.length; i++) {
        float[] r = rows[use[i]];
        for (int j = 0; j < features; j++) {
          x[i][j] = r[j];
          mean[j] += r[j];
        }
        y[i] = labels[use[i]];
        w[i] = classWeights == null ? 1 : classWeights[y[i]];
        sum += w[i];
      }
      weightSum = sum;
      for (int j = 0; j < features; j++) {
        mean[j] /= use.length;
      }
      for (double[] r : x) {
        for (int j = 0; j < features; j++) {
          double d = r[j] - mean[j];
          scale[j] += d * d;
        }
      }
      for (int j = 0; j < features; j++) {
        double sd = Math.sqrt(scale[j] / use.length);
        scale[j] = sd > 1e-8 ? sd : 1;
      }
    }

    int size() {
      return classes * features + classes;
    }

    /** Raw-space W and b from standardised θ. */
    double[][] raw(double[] theta, double[] bias) {
      double[][] wr = new double[classes][features];
      for (int k = 0; k < classes; k++) {
        double b = theta[classes * features + k];
        for (int j = 0; j < features; j++) {
          wr[k][j] = theta[k * features + j] / scale[j];
          b -= wr[k][j] * mean[j];
        }
        bias[k] = b;
      }
      return wr;
    }

    /** @return the objective; writes its gradient */
    double value(double[] theta, double[] grad) {
      double[] bias = new double[classes];
      double[][] wr = raw(theta, bias);
      Arrays.fill(grad, 0);
      double[] z = new double[classes];
      double[] rs = new double[classes];
      double loss = 0;
      for (int i = 0; i < x.length; i++) {
        double[] xi = x[i];
        for (int k = 0; k < classes; k++) {
          double[] wk = wr[k];
          double s0 = 0;
          double s1 = 0;
          double s2 = 0;
          double s3 = 0;
          int j = 0;
          for (; j + 3 < features; j += 4) {
            s0 += wk[j] * xi[j];
            s1 += wk[j + 1] * xi[j + 1];
            s2 += wk[j + 2] * xi[j + 2];
            s3 += wk[j + 3] * xi[j + 3];
          }
          for (; j < features; j++) {
            s0 += wk[j] * xi[j];
          }
          z[k] = bias[k] + s0 + s1 + s2 + s3;
        }
        double logSum = logSumExp(z);
        loss -= w[i] * (z[y[i]] - logSum);
        for (int k = 0; k < classes; k++) {
          double r = w[i] * (Math.exp(z[k] - logSum) - (k == y[i] ? 1 : 0));
          rs[k] += r;
          int base = k * features;
          for (int j = 0; j < features; j++) {
            grad[base + j] += r * xi[j];
          }
        }
      }
      double inv = 1 / weightSum;
      double penalty = 0;
      for (int k = 0; k < classes; k++) {
        int base = k * features;
        for (int j = 0; j < features; j++) {
          double t = theta[base + j];
          grad[base + j] = (grad[base + j] - mean[j] * rs[k]) * inv / scale[j] + lambda * t;
          penalty += t * t;
        }
        grad[classes * features + k] = rs[k] * inv;
      }
      return loss * inv + 0.5 * lambda * penalty;
    }

    Model model(double[] theta, int iterations) {
      double[] bias = new double[classes];
      double[][] wr = raw(theta, bias);
      return new Model(wr, bias, iterations, theta);
    }
  }

  /** Limited-memory BFGS with Armijo backtracking; θ is updated in place. */
  private static int lbfgs(Problem p, double[] theta, double tolerance) {
    int n = theta.length;
    double[] g = new double[n];
    double f = p.value(theta, g);
    double[][] s = new double[MEMORY][];
    double[][] yv = new double[MEMORY][];
    double[] rho = new double[MEMORY];
    int stored = 0;
    int head = 0;
    double[] d = new double[n];
    double[] alpha = new double[MEMORY];
    double[] next = new double[n];
    double[] gNext = new double[n];
    int it = 0;
    while (it < MAX_ITERATIONS && maxAbs(g) > tolerance) {
      it++;
      // two-loop recursion: d = -H·g
      System.arraycopy(g, 0, d, 0, n);
      for (int m = 0; m < stored; m++) {
        int idx = Math.floorMod(head - 1 - m, MEMORY);
        alpha[idx] = rho[idx] * dot(s[idx], d);
        axpy(-alpha[idx], yv[idx], d);
      }
      if (stored > 0) {
        int last = Math.floorMod(head - 1, MEMORY);
        double gamma = dot(s[last], yv[last]) / dot(yv[last], yv[last]);
        scale(d, gamma);
      } else {
        scale(d, 1 / Math.max(1, Math.sqrt(dot(g, g))));
      }
      for (int m = stored - 1; m >= 0; m--) {
        int idx = Math.floorMod(head - 1 - m, MEMORY);
        double beta = rho[idx] * dot(yv[idx], d);
        axpy(alpha[idx] - beta, s[idx], d);
      }
      scale(d, -1);
      double slope = dot(g, d);
      if (slope >= 0) { // not a descent direction: restart from steepest descent
        stored = 0;
        System.arraycopy(g, 0, d, 0, n);
        scale(d, -1 / Math.max(1, Math.sqrt(dot(g, g))));
        slope = dot(g, d);
      }
      double step = 1;
      double fNext;
      int tries = 0;
      while (true) {
        for (int i = 0; i < n; i++) {
          next[i] = theta[i] + step * d[i];
        }
        fNext = p.value(next, gNext);
        if (fNext <= f + 1e-4 * step * slope || ++tries > 40) {
          break;
        }
        step *= 0.5;
      }
      if (tries > 40) {
        break; // no decrease possible at double precision: converged
      }
      double[] sv = new double[n];
      double[] yy = new double[n];
      for (int i = 0; i < n; i++) {
        sv[i] = next[i] - theta[i];
        yy[i] = gNext[i] - g[i];
      }
      double sy = dot(sv, yy);
      if (sy > 1e-12) {
        s[head] = sv;
        yv[head] = yy;
        rho[head] = 1 / sy;
        head = (head + 1) % MEMORY;
        stored = Math.min(stored + 1, MEMORY);
      }
      double change = f - fNext;
      System.arraycopy(next, 0, theta, 0, n);
      System.arraycopy(gNext, 0, g, 0, n);
      f = fNext;
      if (change <= 1e-12 * Math.max(1, Math.abs(f))) {
        break;
      }
    }
    return it;
  }

  static double logSumExp(double[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : z) {
      sum += Math.exp(v - max);
    }
    return max + Math.log(sum);
  }

  static void softmax(double[] z) {
    double l = logSumExp(z);
    for (int k = 0; k < z.length; k++) {
      z[k] = Math.exp(z[k] - l);
    }
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static void axpy(double a, double[] x, double[] y) {
    for (int i = 0; i < x.length; i++) {
      y[i] += a * x[i];
    }
  }

  private static void scale(double[] x, double a) {
    for (int i = 0; i < x.length; i++) {
      x[i] *= a;
    }
  }

  private static double maxAbs(double[] x) {
    double m = 0;
    for (double v : x) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
