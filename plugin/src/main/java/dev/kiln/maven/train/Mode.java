package dev.kiln.maven.train;

import java.util.Arrays;
import java.util.Locale;

/** How the pretrained network is used (the seeds' cases). */
public enum Mode {
  /** Backbone frozen, new head trained (seeds' case 2). */
  FEATURE_EXTRACTOR;

  /** @return the configuration id, e.g. {@code feature-extractor} */
  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * @param id the configuration value
   * @return the mode
   * @throws IllegalArgumentException listing the valid values
   */
  public static Mode parse(String id) {
    for (Mode m : values()) {
      if (m.id().equalsIgnoreCase(id.trim()) || m.name().equalsIgnoreCase(id.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown mode '" + id + "'; valid: "
        + Arrays.stream(values()).map(Mode::id).toList());
  }
}
