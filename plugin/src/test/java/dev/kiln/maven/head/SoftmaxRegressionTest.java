package dev.kiln.maven.head;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SoftmaxRegressionTest {

  /** Three Gaussian blobs in 6 dimensions with features on different scales. */
  static float[][] rows = new float[90][6];
  static int[] labels = new int[90];

  static {
    Random r = new Random(5);
    for (int i = 0; i < rows.length; i++) {
      labels[i] = i % 3;
      for (int j = 0; j < 6; j++) {
        double centre = j == labels[i] ? 3 : 0;
        rows[i][j] = (float) ((centre + r.nextGaussian()) * (j + 1) + 3 * j);
      }
    }
  }

  static int[] all() {
    return IntStream.range(0, rows.length).toArray();
  }

  @Test
  void analyticGradientMatchesFiniteDifferences() {
    double[] w = {1, 2, 0.5};
    int n = 3 * 6 + 3;
    double[] theta = new double[n];
    Random r = new Random(1);
    for (int i = 0; i < n; i++) {
      theta[i] = r.nextGaussian() * 0.3;
    }
    double[] g = new double[n];
    SoftmaxRegression.objective(rows, labels, 3, all(), 0.05, w, theta, g);
    for (int i = 0; i < n; i++) {
      double[] plus = theta.clone();
      double[] minus = theta.clone();
      plus[i] += 1e-6;
      minus[i] -= 1e-6;
      double fd = (SoftmaxRegression.objective(rows, labels, 3, all(), 0.05, w, plus,
          new double[n]) - SoftmaxRegression.objective(rows, labels, 3, all(), 0.05, w, minus,
          new double[n])) / 2e-6;
      assertEquals(fd, g[i], 1e-6, "parameter " + i);
    }
  }

  @Test
  void fitConvergesToTheOptimumAndPredictsOnRawFeatures() {
    SoftmaxRegression.Model m = SoftmaxRegression.fit(rows, labels, 3, all(), 0.01, null, null);
    double[] g = new double[m.standardized().length];
    SoftmaxRegression.objective(rows, labels, 3, all(), 0.01, null, m.standardized(), g);
    double max = java.util.Arrays.stream(g).map(Math::abs).max().orElseThrow();
    assertTrue(max <= 1e-5, "gradient at the fit " + max);
    float[][] p = m.probabilities(rows);
    int right = 0;
    for (int i = 0; i < rows.length; i++) {
      float sum = 0;
      for (float v : p[i]) {
        sum += v;
      }
      assertEquals(1f, sum, 1e-5f);
      right += LinearHeadSelection.argMax(p[i]) == labels[i] ? 1 : 0;
    }
    assertTrue(right >= 80, "the blobs are well separated: " + right + "/90");
    // the raw-space dense layer gives the same probabilities
    float[][] w = m.denseWeights();
    double[] z = new double[3];
    for (int k = 0; k < 3; k++) {
      z[k] = m.bias()[k];
      for (int j = 0; j < 6; j++) {
        z[k] += w[j][k] * rows[0][j];
      }
    }
    SoftmaxRegression.softmax(z);
    assertEquals(p[0][labels[0]], z[labels[0]], 1e-5);
  }

  @Test
  void deterministicWarmStartsAgreeAndStrongerL2ShrinksWeights() {
    SoftmaxRegression.Model a = SoftmaxRegression.fit(rows, labels, 3, all(), 0.01, null, null);
    SoftmaxRegression.Model b = SoftmaxRegression.fit(rows, labels, 3, all(), 0.01, null, null);
    assertArrayEquals(a.standardized(), b.standardized(), "bit for bit");
    SoftmaxRegression.Model strong = SoftmaxRegression.fit(rows, labels, 3, all(), 1, null, null);
    SoftmaxRegression.Model warm = SoftmaxRegression.fit(rows, labels, 3, all(), 0.01, null,
        strong);
    assertArrayEquals(a.standardized(), warm.standardized(), 1e-4);
    assertTrue(norm(strong.standardized()) < norm(a.standardized()) / 2);
  }

  @Test
  void classWeightsShiftDecisionsTowardsTheWeightedLabel() {
    float[][] x = new float[40][1];
    int[] y = new int[40];
    for (int i = 0; i < 40; i++) {
      y[i] = i < 30 ? 0 : 1;
      x[i][0] = (float) (y[i] == 0 ? i / 30.0 : 0.5 + (i - 30) / 10.0); // overlapping
    }
    int[] all = IntStream.range(0, 40).toArray();
    SoftmaxRegression.Model plain = SoftmaxRegression.fit(x, y, 2, all, 1e-3, null, null);
    SoftmaxRegression.Model weighted = SoftmaxRegression.fit(x, y, 2, all, 1e-3,
        new double[] {40 / 60.0, 40 / 20.0}, null);
    float[][] probe = {{0.7f}};
    assertTrue(weighted.probabilities(probe)[0][1] > plain.probabilities(probe)[0][1]);
  }

  private static double norm(double[] theta) {
    double s = 0;
    for (int i = 0; i < 18; i++) {
      s += theta[i] * theta[i];
    }
    return Math.sqrt(s);
  }
}
