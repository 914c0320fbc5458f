package dev.kiln.runtime;

import java.util.Objects;

/**
 * One label with its probability.
 *
 * @param label the label as stored in the model
 * @param index the label's position in the model's output
 * @param probability in [0, 1]
 */
public record Prediction(String label, int index, float probability) {
  public Prediction {
    Objects.requireNonNull(label, "label");
    if (index < 0) {
      throw new IllegalArgumentException("index must be >= 0, was " + index);
    }
    if (!(probability >= 0f && probability <= 1.0001f)) {
      throw new IllegalArgumentException("probability must be in [0, 1], was " + probability);
    }
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "%s (%.1f%%)", label, probability * 100);
  }
}
