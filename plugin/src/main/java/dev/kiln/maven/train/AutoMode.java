package dev.kiln.maven.train;

import dev.kiln.maven.config.Mode;
import java.util.Arrays;
import java.util.Locale;

/**
 * Mode {@code auto}: the seeds' small/big × similar/different table applied to the data set's
 * size. Size is what a build can know for sure; similarity to ImageNet is assumed (labelled
 * photos of things), because a wrong "different" guess would throw away pretrained weights that
 * almost always help. Users with big data unlike photos (spectrograms, X-rays, microscopy) set
 * {@code scratch} or {@code full} themselves; the logged reason says so.
 *
 * <table>
 *   <caption>Thresholds on the training images</caption>
 *   <tr><th>data</th><th>mode</th><th>seeds' row</th></tr>
 *   <tr><td>fewer than {@value #MEDIUM_TOTAL} images or fewer than {@value #MEDIUM_PER_LABEL} on
 *   the smallest label</td><td>feature-extractor</td><td>small, similar</td></tr>
 *   <tr><td>up to {@value #BIG_TOTAL} images or {@value #BIG_PER_LABEL} on the smallest
 *   label</td><td>fine-tune (top blocks)</td><td>between: "freeze the first k layers"</td></tr>
 *   <tr><td>more</td><td>full</td><td>big, similar: fine-tune all layers</td></tr>
 * </table>
 */
public final class AutoMode {

  /** Training images from which fine-tuning the top blocks pays off. */
  static final int MEDIUM_TOTAL = 1_000;
  /** Images on the smallest label from which fine-tuning the top blocks pays off. */
  static final int MEDIUM_PER_LABEL = 100;
  /** Training images from which every layer is trained. */
  static final int BIG_TOTAL = 10_000;
  /** Images on the smallest label from which every layer is trained. */
  static final int BIG_PER_LABEL = 1_000;

  /**
   * @param mode the chosen mode (never {@link Mode#AUTO})
   * @param reason why, for the build log and the model's metadata
   */
  public record Choice(Mode mode, String reason) {}

  private AutoMode() {}

  /**
   * @param trainCounts training images per label
   * @return the mode for that much data, and why
   */
  public static Choice choose(int[] trainCounts) {
    int total = Arrays.stream(trainCounts).sum();
    int smallest = Arrays.stream(trainCounts).min().orElse(0);
    String size = String.format(Locale.ROOT, "%d training images, %d on the smallest label",
        total, smallest);
    if (total < MEDIUM_TOTAL || smallest < MEDIUM_PER_LABEL) {
      return new Choice(Mode.FEATURE_EXTRACTOR, size + ": small data (< " + MEDIUM_TOTAL
          + " images or < " + MEDIUM_PER_LABEL + " per label), assumed similar to ImageNet"
          + " photos -> feature-extractor (the seeds' small/similar case; training more layers"
          + " on this little data overfits)");
    }
    if (total < BIG_TOTAL || smallest < BIG_PER_LABEL) {
      return new Choice(Mode.FINE_TUNE, size + ": medium data (< " + BIG_TOTAL + " images or < "
          + BIG_PER_LABEL + " per label) -> fine-tune the top blocks after the head (the seeds'"
          + " \"freeze the first k layers, retrain the rest\")");
    }
    return new Choice(Mode.FULL, size + ": big data, assumed similar to ImageNet photos -> full"
        + " (the seeds' big/similar case: fine-tune every layer); for big data unlike photos set"
        + " mode scratch");
  }
}
