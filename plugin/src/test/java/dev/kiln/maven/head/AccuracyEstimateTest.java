package dev.kiln.maven.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AccuracyEstimateTest {

  @Test
  void exactIntervalsMatchNewcombesPublishedExamples() {
    // R. G. Newcombe, "Two-sided confidence intervals for the single proportion", Statistics in
    // Medicine 17 (1998), table I, method 5 (exact, Clopper-Pearson)
    check(81, 263, 0.2527, 0.3676);
    check(15, 148, 0.0578, 0.1617);
    check(0, 20, 0.0, 0.1684);
    check(1, 29, 0.0009, 0.1776);
  }

  @Test
  void exactIntervalIsWiderThanWilsonsNearOneHundredPercent() {
    // 171 of 180 right (95 %): Wilson's score interval ends at 97.3 %, the exact one higher
    AccuracyEstimate e = AccuracyEstimate.exact(171, 180, "test");
    assertTrue(e.high() > 0.976 && e.high() < 0.98, e.toString());
  }

  private static void check(int right, int n, double low, double high) {
    AccuracyEstimate e = AccuracyEstimate.exact(right, n, "test");
    assertEquals(right / (double) n, e.accuracy(), 1e-12);
    assertEquals(low, e.low(), 5e-5);
    assertEquals(high, e.high(), 5e-5);
    assertEquals(n, e.photos());
  }

  @Test
  void allRightStaysInsideZeroToOne() {
    AccuracyEstimate e = AccuracyEstimate.exact(10, 10, "test");
    assertEquals(1.0, e.accuracy());
    assertEquals(1.0, e.high());
    assertEquals(0.6915, e.low(), 5e-5, e.toString());
  }

  @Test
  void lineAndValidation() {
    assertEquals("90.4% (95% interval 81.2-96.1%, 73 photos)",
        AccuracyEstimate.exact(66, 73, "x").line());
    assertThrows(IllegalArgumentException.class, () -> new AccuracyEstimate(0.5, 0.6, 0.7, 10,
        "x"));
    assertThrows(IllegalArgumentException.class, () -> AccuracyEstimate.exact(1, 2, " "));
  }
}
