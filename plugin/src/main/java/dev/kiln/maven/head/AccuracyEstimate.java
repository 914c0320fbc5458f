package dev.kiln.maven.head;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * Accuracy measured only on photos that no training decision used, with a 95 % Wilson score
 * interval.
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

  /** z of a two-sided 95 % interval. */
  static final double Z95 = 1.959963984540054;

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
   * @return the accuracy with its Wilson score interval
   */
  public static AccuracyEstimate wilson(int right, int photos, String method) {
    double n = photos;
    double p = right / n;
    double z2 = Z95 * Z95;
    double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = Z95 / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    return new AccuracyEstimate(p, Math.max(0, Math.min(p, centre - half)),
        Math.min(1, Math.max(p, centre + half)), photos, method);
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
