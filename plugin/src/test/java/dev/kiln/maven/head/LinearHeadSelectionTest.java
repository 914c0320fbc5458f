package dev.kiln.maven.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearHeadSelectionTest {

  /** Two overlapping classes in 20 dimensions: the Bayes accuracy is about 84 %. */
  static float[][] rows(int n, long seed, int[] labels) {
    Random r = new Random(seed);
    float[][] x = new float[n][20];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (int j = 0; j < 20; j++) {
        x[i][j] = (float) (r.nextGaussian() + (j < 2 && labels[i] == 1 ? 0.7 : 0));
      }
    }
    return x;
  }

  static String[] keys(int n) {
    String[] k = new String[n];
    for (int i = 0; i < n; i++) {
      k[i] = "p" + i;
    }
    return k;
  }

  @Test
  void theNestedEstimateIsCloseToTheAccuracyOnFreshData() {
    int[] y = new int[300];
    float[][] x = rows(300, 1, y);
    LinearHeadSelection.Result r = LinearHeadSelection.select(x, y, 2, keys(300), 5, 42, null,
        true);
    int[] yNew = new int[4000];
    float[][] fresh = rows(4000, 2, yNew);
    float[][] p = r.model().probabilities(fresh);
    int right = 0;
    for (int i = 0; i < fresh.length; i++) {
      right += LinearHeadSelection.argMax(p[i]) == yNew[i] ? 1 : 0;
    }
    double truth = right / (double) fresh.length;
    AccuracyEstimate e = r.estimate();
    assertEquals(300, e.photos());
    assertTrue(e.low() <= truth && truth <= e.high(), e + " vs fresh " + truth);
    assertTrue(e.method().contains("nested 5-fold"), e.method());
    assertEquals(5, r.folds());
    assertTrue(r.curve().size() >= 4 && r.curve().get(0).lambda() > r.lambda() / 10,
        r.curve().toString());
  }

  @Test
  void sameSeedSameChoiceAndCopiesAreNeverScored() {
    int[] y = new int[100];
    float[][] x = rows(100, 3, y);
    LinearHeadSelection.Result a = LinearHeadSelection.select(x, y, 2, keys(100), 4, 7, null,
        true);
    LinearHeadSelection.Result b = LinearHeadSelection.select(x, y, 2, keys(100), 4, 7, null,
        true);
    assertEquals(a.lambda(), b.lambda());
    assertEquals(a.estimate(), b.estimate());
    // the same rows again as "augmented copies" (same keys): 100 photos, not 200
    float[][] doubled = new float[200][];
    int[] y2 = new int[200];
    String[] k2 = new String[200];
    for (int i = 0; i < 200; i++) {
      doubled[i] = x[i % 100];
      y2[i] = y[i % 100];
      k2[i] = "p" + (i % 100);
    }
    LinearHeadSelection.Result c = LinearHeadSelection.select(doubled, y2, 2, k2, 4, 7, null,
        true);
    assertEquals(100, c.estimate().photos());
  }
}
