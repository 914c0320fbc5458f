package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.Arrays;
import java.util.Locale;

/** What the MobileNet families share: width multipliers, ids, [-1, 1] inputs, unit checks. */
final class MobileNets {

  private MobileNets() {}

  /**
   * @param family e.g. {@code MobileNetV2}
   * @param alpha the width multiplier
   * @param valid the multipliers the family publishes
   * @throws IllegalArgumentException listing the valid ones
   */
  static void checkAlpha(String family, double alpha, double... valid) {
    if (Arrays.stream(valid).noneMatch(v -> v == alpha)) {
      throw new IllegalArgumentException(family + " alpha must be one of "
          + Arrays.toString(valid).replaceAll("[\\[\\]]", "") + "; was " + alpha);
    }
  }

  /** @return e.g. {@code mobilenet_v2_0.5} for prefix {@code mobilenet_v2_} */
  static String id(String prefix, double alpha) {
    return prefix + String.format(Locale.ROOT, "%.2f", alpha).replaceAll("0$", "");
  }

  /** @return the MobileNets' normalisation: RGB scaled to [-1, 1], NCHW */
  static Preprocessing normalization(int size) {
    return Preprocessing.minusOneToOne(size, Preprocessing.Layout.NCHW);
  }

  /** @throws IllegalArgumentException unless 1 ≤ topUnits ≤ blocks */
  static void checkUnits(String family, int blocks, int topUnits) {
    if (topUnits < 1 || topUnits > blocks) {
      throw new IllegalArgumentException(family + " has " + blocks
          + " blocks; fine-tune between 1 and " + blocks + ", was " + topUnits);
    }
  }
}
