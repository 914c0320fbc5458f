package dev.kiln.maven.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LearningCurveTest {

  @Test
  void theFitRecoversAKnownPowerLaw() {
    double[] n = {50, 100, 150, 200};
    double[] acc = new double[n.length];
    for (int i = 0; i < n.length; i++) {
      acc[i] = 1 - (0.8 * Math.pow(n[i], -0.5) + 0.05);
    }
    LearningCurve.Fit f = LearningCurve.fit(n, acc, 1000);
    assertEquals(0.5, f.b(), 0.02);
    assertEquals(0.05, f.c(), 0.005);
    assertEquals(1 - (0.8 * Math.pow(800, -0.5) + 0.05), f.accuracy(800), 0.003);
  }

  @Test
  void aFlatCurvePromisesNothingFromMorePhotos() {
    LearningCurve.Fit f = LearningCurve.fit(new double[] {50, 100, 150, 200},
        new double[] {0.9, 0.88, 0.9, 0.89}, 200);
    assertEquals(0, f.a(), 1e-12);
    assertEquals(f.accuracy(200), f.accuracy(800), 1e-12);
  }

  @Test
  void measuredOnFoldsTheFullSizePointIsTheEstimateAndMorePhotosNeverPromiseLess() {
    Random r = new Random(3);
    int n = 240;
    int d = 20;
    float[][] x = new float[n][d];
    int[] y = new int[n];
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 3;
      keys[i] = "p" + i;
      for (int j = 0; j < d; j++) {
        x[i][j] = (float) (r.nextGaussian() * 2 + (j == y[i] ? 1.5 : 0));
      }
    }
    LinearHeadSelection.Result s = LinearHeadSelection.select(x, y, 3, keys, 5, 42, null, true);
    LearningCurve.Result c = LearningCurve.measure(x, null, y, 3, keys, s.outOfFold(), 42, null);
    assertEquals(4, c.points().size());
    assertEquals(s.estimate().accuracy(), c.points().get(3).accuracy(), 1e-12,
        "the 100 % point is the nested estimate's own predictions");
    assertEquals(192, c.points().get(3).photos(), 1e-9, "4/5 of the photos train each head");
    assertEquals(48, c.points().get(0).photos(), 1e-9, "a quarter of that");
    for (int i = 1; i < 4; i++) {
      assertTrue(c.points().get(i).photos() > c.points().get(i - 1).photos());
    }
    assertTrue(c.points().get(0).accuracy() < c.points().get(3).accuracy(),
        "fewer photos, lower accuracy on this set: " + c.points());
    assertEquals(240, c.at(1).photos());
    assertEquals(960, c.at(4).photos());
    for (LearningCurve.Projection p : c.projections()) {
      assertTrue(p.low() <= p.accuracy() && p.accuracy() <= p.high(), p.toString());
      assertEquals(3, p.perLabel().length);
    }
    assertTrue(c.at(4).accuracy() >= c.at(2).accuracy() && c.at(2).accuracy()
        >= c.at(1).accuracy());
    assertTrue(c.line().contains("with 2x the photos (480 photos)"), c.line());
  }
}
