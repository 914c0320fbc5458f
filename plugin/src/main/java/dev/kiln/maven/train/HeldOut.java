package dev.kiln.maven.train;

import dev.kiln.maven.text.Count;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.head.AccuracyEstimate;
import dev.kiln.maven.head.StratifiedFolds;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which validation photos take which training decision, so that the estimate rests on photos no
 * decision used. When epochs are chosen on validation loss (Adam heads, the later stages of
 * fine-tune and full, scratch), the validation photos are split in two stratified halves: the
 * selection half chooses the epoch, the estimate half is only measured.
 *
 * @param selection photos that choose the epoch
 * @param estimate photos the estimate is measured on
 * @param note how they were split, for the estimate's method
 */
record HeldOut(List<LabelledImage> selection, List<LabelledImage> estimate, String note) {

  HeldOut {
    selection = List.copyOf(selection);
    estimate = List.copyOf(estimate);
  }

  /** Stratified halves by a seeded hash of the relative path. */
  static HeldOut halves(List<LabelledImage> validation, long seed) {
    int[] labels = validation.stream().mapToInt(LabelledImage::label).toArray();
    String[] keys = validation.stream().map(LabelledImage::relativePath).toArray(String[]::new);
    try {
      int[] fold = StratifiedFolds.assign(labels, keys, 2, seed);
      List<LabelledImage> a = new ArrayList<>();
      List<LabelledImage> b = new ArrayList<>();
      for (int i = 0; i < fold.length; i++) {
        (fold[i] == 0 ? a : b).add(validation.get(i));
      }
      return new HeldOut(a, b, "the " + Count.of(b.size(), "validation photo")
          + " of the estimate half (the other " + a.size() + " chose the epoch; none trained)");
    } catch (IllegalArgumentException e) {
      return new HeldOut(validation, validation, "the "
          + Count.of(validation.size(), "validation photo") + ", which also chose the epoch (too"
          + " few per label to split them), so this is optimistic");
    }
  }

  /** Every validation photo is held out from every decision (explicit val/, linear head). */
  static HeldOut all(List<LabelledImage> validation, String note) {
    return new HeldOut(validation, validation, note);
  }

  /** @return the selection photos among {@code f}'s (same order) */
  FeatureSource.Features selectionOf(FeatureSource.Features f) {
    return subset(f, selection);
  }

  static FeatureSource.Features subset(FeatureSource.Features f, List<LabelledImage> keep) {
    Set<String> wanted = keep.stream().map(LabelledImage::relativePath)
        .collect(Collectors.toSet());
    List<LabelledImage> images = new ArrayList<>();
    List<float[]> rows = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < f.images().size(); i++) {
      if (wanted.contains(f.images().get(i).relativePath())) {
        images.add(f.images().get(i));
        rows.add(f.rows().length == 0 ? null : f.rows()[i]);
        keys.add(f.keys() == null ? null : f.keys()[i]);
      }
    }
    return new FeatureSource.Features(images,
        f.rows().length == 0 ? new float[0][] : rows.toArray(float[][]::new),
        images.stream().mapToInt(LabelledImage::label).toArray(),
        f.keys() == null ? null : keys.toArray(String[]::new));
  }

  /**
   * @param images the photos the exported model classified (readable validation photos)
   * @param probabilities its probabilities for them
   * @return the accuracy on the readable estimate photos with its exact interval
   */
  AccuracyEstimate measure(List<LabelledImage> images, float[][] probabilities) {
    Set<String> wanted = estimate.stream().map(LabelledImage::relativePath)
        .collect(Collectors.toSet());
    int right = 0;
    int n = 0;
    for (int i = 0; i < images.size(); i++) {
      if (wanted.contains(images.get(i).relativePath())) {
        n++;
        if (dev.kiln.maven.head.LinearHeadSelection.argMax(probabilities[i]) == images.get(i).label()) {
          right++;
        }
      }
    }
    return AccuracyEstimate.exact(right, Math.max(1, n), "accuracy of the exported model on "
        + note);
  }
}
