package dev.kiln.maven.head;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
  void theSelectionsLooserToleranceChoosesAsTheTightOneAndShipsTheSameHead() {
    int[] y = new int[300];
    float[][] x = rows(300, 3, y);
    LinearHeadSelection.Result tight = LinearHeadSelection.select(x, null, y, 2, keys(300), 5, 42,
        null, LinearHeadSelection.Scoring.NESTED, SoftmaxRegression.TOLERANCE);
    LinearHeadSelection.Result loose = LinearHeadSelection.select(x, null, y, 2, keys(300), 5, 42,
        null, LinearHeadSelection.Scoring.NESTED, LinearHeadSelection.SELECTION_TOLERANCE);
    assertEquals(tight.lambda(), loose.lambda());
    // the shipped head is always fitted to the tight tolerance: the very same weights
    for (int k = 0; k < 2; k++) {
      assertArrayEquals(tight.model().weights()[k], loose.model().weights()[k]);
    }
    assertEquals(tight.estimate().accuracy(), loose.estimate().accuracy(), 1.0 / 300 + 1e-12);
    // the looser fits stop sooner
    int[] all = java.util.stream.IntStream.range(0, 300).toArray();
    assertTrue(SoftmaxRegression.fit(x, y, 2, all, 1e-5, null, null,
            LinearHeadSelection.SELECTION_TOLERANCE).iterations()
        < SoftmaxRegression.fit(x, y, 2, all, 1e-5, null, null).iterations());
    assertThrows(IllegalArgumentException.class,
        () -> SoftmaxRegression.fit(x, y, 2, all, 1e-5, null, null, 0));
  }

  @Test
  void outOfFoldScoringPredictsEveryPhotoAtTheChosenStrengthWithAThirdOfTheFits() {
    int[] y = new int[200];
    float[][] x = rows(200, 4, y);
    LinearHeadSelection.Result none = LinearHeadSelection.select(x, null, y, 2, keys(200), 5, 42,
        null, LinearHeadSelection.Scoring.NONE);
    LinearHeadSelection.Result plain = LinearHeadSelection.select(x, null, y, 2, keys(200), 5, 42,
        null, LinearHeadSelection.Scoring.OUT_OF_FOLD);
    assertNull(none.outOfFold());
    assertNull(plain.estimate(), "plain k-fold is no estimate: the strength saw every fold");
    assertEquals(none.lambda(), plain.lambda());
    assertEquals(none.fits(), plain.fits());
    assertEquals(5 * plain.curve().size() + 1, plain.fits());
    for (int k = 0; k < 2; k++) {
      assertArrayEquals(none.model().weights()[k], plain.model().weights()[k]);
    }
    LinearHeadSelection.OutOfFold oof = plain.outOfFold();
    int right = 0;
    for (int i = 0; i < 200; i++) {
      assertTrue(oof.scored(i));
      right += LinearHeadSelection.argMax(oof.probabilities()[i]) == y[i] ? 1 : 0;
    }
    for (double l : oof.lambdas()) {
      assertEquals(plain.lambda(), l);
    }
    // the chosen point of the curve is these very predictions' accuracy
    assertEquals(plain.chosen().accuracy(), right / 200.0, 1e-12);
    LinearHeadSelection.Result nested = LinearHeadSelection.select(x, null, y, 2, keys(200), 5,
        42, null, LinearHeadSelection.Scoring.NESTED);
    assertEquals(15 * nested.curve().size() + 1, nested.fits());
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

  /**
   * Issue 20: every out-of-fold prediction comes from a head that never trained on the photo. Each
   * photo's reported probabilities are those of a head refitted here on the other folds alone (at
   * the strength its fold's head used); the shipped head, which trained on every photo, gives
   * other ones; augmented copies get no prediction; and the estimate counts exactly these.
   */
  @Test
  void outOfFoldPredictionsComeFromHeadsThatNeverTrainedOnThePhoto() {
    int photos = 80;
    int[] y0 = new int[photos];
    float[][] x0 = rows(photos, 5, y0);
    // every photo once, then an augmented copy of each (same key, slightly moved)
    float[][] x = new float[2 * photos][];
    int[] y = new int[2 * photos];
    String[] k = new String[2 * photos];
    for (int i = 0; i < 2 * photos; i++) {
      x[i] = x0[i % photos].clone();
      if (i >= photos) {
        x[i][3] += 0.1f;
      }
      y[i] = y0[i % photos];
      k[i] = "p" + (i % photos);
    }
    LinearHeadSelection.Result r = LinearHeadSelection.select(x, y, 2, k, 4, 11, null, true);
    LinearHeadSelection.OutOfFold oof = r.outOfFold();
    assertNotNull(oof);
    assertArrayEquals(StratifiedFolds.assign(y, k, 4, 11), oof.fold());
    float[][] shipped = r.model().probabilities(x);
    int right = 0;
    double maxShift = 0;
    for (int o = 0; o < r.folds(); o++) {
      final int fold = o;
      int[] others = java.util.stream.IntStream.range(0, x.length)
          .filter(i -> oof.fold()[i] != fold).toArray();
      SoftmaxRegression.Model without = SoftmaxRegression.fit(x, y, 2, others, oof.lambdas()[o],
          null, null);
      for (int i = 0; i < x.length; i++) {
        if (oof.fold()[i] != o) {
          continue;
        }
        if (i >= photos) {
          assertFalse(oof.scored(i), "an augmented copy is never a result");
          continue;
        }
        assertTrue(oof.scored(i), "every photo has its out-of-fold prediction");
        float[] refit = without.probabilities(new float[][] {x[i]})[0];
        for (int c = 0; c < 2; c++) {
          assertEquals(refit[c], oof.probabilities()[i][c], 2e-3,
              "photo " + i + " is predicted by the head fitted without its fold " + o);
          maxShift = Math.max(maxShift, Math.abs(shipped[i][c] - oof.probabilities()[i][c]));
        }
        right += LinearHeadSelection.argMax(oof.probabilities()[i]) == y[i] ? 1 : 0;
      }
    }
    assertTrue(maxShift > 0.01, "the shipped head (trained on every photo) predicts otherwise");
    assertEquals(photos, r.estimate().photos());
    assertEquals(right / (double) photos, r.estimate().accuracy(), 1e-12,
        "the estimate counts exactly these predictions");
    assertNull(LinearHeadSelection.select(x, y, 2, k, 4, 11, null, false).outOfFold(),
        "no estimate asked for, no out-of-fold predictions");
  }
}
