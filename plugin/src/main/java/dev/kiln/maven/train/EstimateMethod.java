package dev.kiln.maven.train;

import java.util.Locale;
import java.util.Objects;

/**
 * How the shipped estimate was obtained, as its parts: the protocol (which photos, which
 * predictions), whether the model flips at test time, and what the shipped number format did;
 * {@link #text()} is the sentence in the model's metadata, the log and the report.
 *
 * @param protocol the photos and predictions it rests on
 * @param flip the test-time flip's note, or null without the flip
 * @param format the shipped number format's note (a quantised model beside the float head the
 *     estimate measured), or null
 */
record EstimateMethod(String protocol, String flip, String format) {

  /** The flip, said of the out-of-fold heads (scored as the flipping model would be). */
  static final String FLIP_OUT_OF_FOLD = " (test-time flip: mean of the photo and its mirror"
      + " image)";
  /** The flip, said of the exported model. */
  static final String FLIP_EXPORTED = " (test-time flip: the model averages each photo with its"
      + " mirror image)";

  EstimateMethod {
    Objects.requireNonNull(protocol, "protocol");
  }

  /**
   * @param kind {@code int8} or {@code fp16}
   * @param agreement share of the compared photos on which both formats give the same label
   * @param measuredOn the compared photos, in words
   * @return the note of a quantised model shipped beside the float head the estimate measured
   */
  static String quantized(String kind, double agreement, String measuredOn) {
    return "; of the float head: the shipped " + kind + String.format(Locale.ROOT,
        " model gives the float model's label to %.1f%% of %s", agreement * 100, measuredOn);
  }

  /** @return the sentence: protocol, then the flip, then the number format */
  String text() {
    return protocol + (flip == null ? "" : flip) + (format == null ? "" : format);
  }
}
