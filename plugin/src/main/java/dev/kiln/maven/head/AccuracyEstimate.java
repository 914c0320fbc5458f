package dev.kiln.maven.head;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;
import org.apache.commons.math3.distribution.BetaDistribution;

/**
 * Accuracy measured only on photos that no training decision used, with an exact 95 %
 * (Clopper–Pearson) interval. Exact rather than Wilson's score interval: near 100 % Wilson's
 * upper end is short, and its coverage dips under 95 % there; the exact interval never covers
 * less than 95 % of the binomial part, which is what the shipped estimate's calibration
 * (docs/benchmarks.md, "Learning curve") needed on the steel defects.
 *
 * @param accuracy fraction right
 * @param low lower end of the 95 % interval
 * @param high upper end of the 95 % interval
 * @param photos photos behind it
 * @param method how it was obtained, in words
 */
public record AccuracyEstimate(
    @JsonProperty("accuracy") double accuracy,
    @JsonProperty("low") double low,
    @JsonProperty("high") double high,
    @JsonProperty("photos") int photos,
    @JsonProperty("method") String method) {

  /** Confidence of the interval. */
  static final double CONFIDENCE = 0.95;

  public AccuracyEstimate {
    if (photos < 1) {
      throw new IllegalArgumentException("an estimate needs at least one photo");
    }
    if (!(low <= accuracy + 1e-12 && accuracy <= high + 1e-12 && low >= 0 && high <= 1)) {
      throw new IllegalArgumentException("inconsistent estimate " + low + " <= " + accuracy
          + " <= " + high);
    }
    if (method == null || method.isBlank()) {
      throw new IllegalArgumentException("an estimate says how it was obtained");
    }
  }

  /**
   * @param right photos classified right
   * @param photos photos classified
   * @param method how they were held out
   * @return the accuracy with its exact (Clopper–Pearson) 95 % interval: the beta quantiles
   *     2.5 % of Beta(right, photos − right + 1) and 97.5 % of Beta(right + 1, photos − right)
   */
  public static AccuracyEstimate exact(int right, int photos, String method) {
    if (right < 0 || right > photos) {
      throw new IllegalArgumentException(right + " right of " + photos + " photos");
    }
    double p = right / (double) Math.max(1, photos);
    double tail = (1 - CONFIDENCE) / 2;
    double low = right == 0 ? 0 : new BetaDistribution(null, right, photos - right + 1.0)
        .inverseCumulativeProbability(tail);
    double high = right == photos ? 1 : new BetaDistribution(null, right + 1.0, photos - right)
        .inverseCumulativeProbability(1 - tail);
    return new AccuracyEstimate(p, Math.max(0, Math.min(p, low)), Math.min(1, Math.max(p, high)),
        photos, method);
  }

  /**
   * @param how the method in full (e.g. the protocol with the shipped model's notes)
   * @return the same figures with that method
   */
  public AccuracyEstimate withMethod(String how) {
    return new AccuracyEstimate(accuracy, low, high, photos, how);
  }

  /** @return e.g. {@code 91.2 % (95 % interval 87.6–93.9 %, 318 photos)} */
  public String line() {
    return String.format(Locale.ROOT, "%.1f%% (95%% interval %.1f-%.1f%%, %d photos)",
        accuracy * 100, low * 100, high * 100, photos);
  }
}
