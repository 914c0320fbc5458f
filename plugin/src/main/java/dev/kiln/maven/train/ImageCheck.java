package dev.kiln.maven.train;

import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.text.Count;
import java.util.List;

/**
 * What the unreadable photos leave: each reported, the build failed with {@code
 * failOnBadImages}, the counts of the photos actually used, and a build that cannot train
 * (a label without a readable training photo, no readable validation photo) stopped with what to
 * do.
 */
final class ImageCheck {

  private ImageCheck() {}

  /**
   * @param failOnBadImages {@code failOnBadImages}
   * @param trainLabels label per readable training example
   * @param validationLabels label per readable validation example
   */
  static void check(boolean failOnBadImages, Dataset data, int[] trainLabels,
      int[] validationLabels, List<SkippedImage> skipped, ProgressListener listener)
      throws UserProblemException {
    for (SkippedImage s : skipped) {
      listener.warn("skipped " + s.relativePath() + ": " + s.reason());
    }
    if (!skipped.isEmpty() && failOnBadImages) {
      StringBuilder list = new StringBuilder();
      for (SkippedImage s : skipped) {
        list.append("\n  ").append(s.relativePath()).append(": ").append(s.reason());
      }
      throw new UserProblemException(Count.of(skipped.size(), "image") + " could not be read and"
          + " failOnBadImages is set:" + list + "\nFix or remove them, or unset failOnBadImages"
          + " (kiln.failOnBadImages) to skip them");
    }
    if (!skipped.isEmpty()) {
      listener.phase("dataset", readableSummary(data, trainLabels, validationLabels,
          skipped.size()));
    }
    checkEveryLabelHasImages(data, trainLabels, "training");
    if (validationLabels.length == 0) {
      throw new UserProblemException("no validation image could be read; see the skipped list");
    }
  }

  /** @return the per-label counts of the photos actually used, after the unreadable ones */
  static String readableSummary(Dataset data, int[] train, int[] validation, int skipped) {
    return String.format("used after leaving out %s: %d training and %d validation",
        Count.of(skipped, "unreadable photo"), train.length, validation.length)
        + data.perLabel(data.counts(train), data.counts(validation));
  }

  private static void checkEveryLabelHasImages(Dataset data, int[] labels, String side)
      throws UserProblemException {
    int[] counts = data.counts(labels);
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == 0) {
        throw new UserProblemException("label '" + data.labels().get(i) + "' has no readable "
            + side + " image; see the skipped images above and add readable ones");
      }
    }
  }
}
