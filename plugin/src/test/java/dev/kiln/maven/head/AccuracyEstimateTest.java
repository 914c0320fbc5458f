package dev.kiln.maven.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AccuracyEstimateTest {

  @Test
  void wilsonIntervalsMatchNewcombesPublishedExamples() {
    // R. G. Newcombe, "Two-sided confidence intervals for the single proportion", Statistics in
    // Medicine 17 (1998), table I, method 3 (score interval without continuity correction)
    check(81, 263, 0.2553, 0.3662);
    check(15, 148, 0.0624, 0.1605);
    check(0, 20, 0.0, 0.1611);
    check(1, 29, 0.0061, 0.1718);
  }

  private static void check(int right, int n, double low, double high) {
    AccuracyEstimate e = AccuracyEstimate.wilson(right, n, "test");
    assertEquals(right / (double) n, e.accuracy(), 1e-12);
    assertEquals(low, e.low(), 5e-5);
    assertEquals(high, e.high(), 5e-5);
    assertEquals(n, e.photos());
  }

  @Test
  void allRightStaysInsideZeroToOne() {
    AccuracyEstimate e = AccuracyEstimate.wilson(10, 10, "test");
    assertEquals(1.0, e.accuracy());
    assertTrue(e.high() <= 1 && e.low() > 0.7, e.toString());
  }

  @Test
  void lineAndValidation() {
    assertEquals("90.4% (95% interval 81.5-95.3%, 73 photos)",
        AccuracyEstimate.wilson(66, 73, "x").line());
    assertThrows(IllegalArgumentException.class, () -> new AccuracyEstimate(0.5, 0.6, 0.7, 10,
        "x"));
    assertThrows(IllegalArgumentException.class, () -> AccuracyEstimate.wilson(1, 2, " "));
  }
}
