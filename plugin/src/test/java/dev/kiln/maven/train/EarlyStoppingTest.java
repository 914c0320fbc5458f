package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EarlyStoppingTest {

  /** Runs the rule over the losses; returns the epoch it stopped at (or the last). */
  private static int run(EarlyStopping s, double... losses) {
    for (int epoch = 1; epoch <= losses.length; epoch++) {
      s.record(epoch, losses[epoch - 1]);
      if (s.shouldStop(epoch)) {
        return epoch;
      }
    }
    return losses.length;
  }

  @Test
  void aLossThatCreepsDownStopsAfterPatience() {
    double[] losses = new double[50];
    for (int i = 0; i < losses.length; i++) {
      losses[i] = 0.2 - 1e-4 * i; // 0.05 % per epoch: not a real improvement
    }
    EarlyStopping s = new EarlyStopping(5, Double.POSITIVE_INFINITY);
    assertEquals(6, run(s, losses), "epoch 1 is the last real improvement; 5 epochs later: stop");
    assertEquals(6, s.bestEpoch(), "the lowest loss is still the one kept");
    assertEquals(1, s.lastImprovement());
  }

  @Test
  void realImprovementsResetPatience() {
    EarlyStopping s = new EarlyStopping(2, Double.POSITIVE_INFINITY);
    assertEquals(6, run(s, 1.0, 0.9, 0.8, 0.7, 0.7, 0.7, 0.6));
    assertEquals(4, s.bestEpoch());
  }

  @Test
  void aTinyStepIsKeptAsBestButOnlyARealOneResetsPatience() {
    EarlyStopping s = new EarlyStopping(3, 1.0);
    assertTrue(s.record(1, 0.9995), "lower: the best parameters so far");
    assertEquals(0, s.lastImprovement(), "0.05 % lower is not a real improvement");
    assertTrue(s.record(2, 0.995));
    assertEquals(2, s.lastImprovement(), "0.45 % lower is");
    assertFalse(s.shouldStop(4));
    assertTrue(s.shouldStop(5));
  }

  @Test
  void startingParametersCompeteAsEpochZero() {
    EarlyStopping s = new EarlyStopping(2, 0.5);
    assertFalse(s.record(1, 0.6));
    assertFalse(s.record(2, 0.55));
    assertTrue(s.shouldStop(2));
    assertEquals(0, s.bestEpoch());
  }

  @Test
  void patienceMustBePositive() {
    assertThrows(IllegalArgumentException.class,
        () -> new EarlyStopping(0, Double.POSITIVE_INFINITY));
  }
}
