package dev.kiln.maven.config;

/** How the pretrained network is used (the seeds' cases). */
public enum Mode {
  /** Backbone frozen, new head trained (seeds' case 2). */
  FEATURE_EXTRACTOR,
  /**
   * Seeds' case 3: the head is trained on the frozen backbone first, then the top blocks are
   * unfrozen and trained with it on the photos augmented afresh each epoch, at rates a
   * learning-rate range test finds (the blocks at a tenth of the head's), BatchNorm in inference
   * mode.
   */
  FINE_TUNE,
  /**
   * Seeds' case 4: the head is trained on the frozen backbone first, then every layer (stem
   * included) is trained with it at a hundredth of the learning rate, BatchNorm in inference
   * mode.
   */
  FULL,
  /**
   * Seeds' case 5: the same architecture with random weights and BatchNorm that learns its
   * statistics, trained from the pixels at the full learning rate.
   */
  SCRATCH,
  /** Measures candidates and keeps the best (the train package's ModeSelector), and logs why. */
  AUTO;

  /** @return the configuration id, e.g. {@code feature-extractor} */
  public String id() {
    return ConfigIds.id(this);
  }

  /**
   * @param id the configuration value
   * @return the mode
   * @throws IllegalArgumentException listing the valid values
   */
  public static Mode parse(String id) {
    return ConfigIds.parse(Mode.class, id, "mode");
  }
}
