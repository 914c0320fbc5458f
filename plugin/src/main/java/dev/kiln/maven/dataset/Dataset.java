package dev.kiln.maven.dataset;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A scanned dataset: labels in a stable (sorted) order and the images of each side.
 *
 * @param root the dataset folder
 * @param labels label names, sorted
 * @param train training images
 * @param validation validation images
 * @param explicitSplit true when the folder had {@code train/} and {@code val/} sub-folders
 * @param warnings what the scan left out and why (links not followed, duplicate photos)
 */
public record Dataset(Path root, List<String> labels, List<LabelledImage> train,
    List<LabelledImage> validation, boolean explicitSplit, List<String> warnings) {

  public Dataset {
    Objects.requireNonNull(root, "root");
    labels = List.copyOf(labels);
    train = List.copyOf(train);
    validation = List.copyOf(validation);
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }

  /** A data set without warnings. */
  public Dataset(Path root, List<String> labels, List<LabelledImage> train,
      List<LabelledImage> validation, boolean explicitSplit) {
    this(root, labels, train, validation, explicitSplit, List.of());
  }

  /** @return images per label on one side */
  public int[] counts(List<LabelledImage> side) {
    int[] c = new int[labels.size()];
    for (LabelledImage i : side) {
      c[i.label()]++;
    }
    return c;
  }

  /**
   * @param train the training images kept
   * @param validation the validation images kept
   * @param more warnings to add
   * @return this data set with those images and the warnings added
   */
  public Dataset with(List<LabelledImage> train, List<LabelledImage> validation,
      List<String> more) {
    List<String> w = new java.util.ArrayList<>(warnings);
    w.addAll(more);
    return new Dataset(root, labels, train, validation, explicitSplit, w);
  }

  /**
   * @param labelIndices a label index per example
   * @return examples per label
   */
  public int[] counts(int[] labelIndices) {
    int[] c = new int[labels.size()];
    for (int l : labelIndices) {
      c[l]++;
    }
    return c;
  }

  /** @return a multi-line summary: images per label and side */
  public String summary() {
    return String.format("%d labels, %d training and %d validation images (%s)%s",
        labels.size(), train.size(), validation.size(),
        explicitSplit ? "train/ and val/ folders" : "automatic split",
        warnings.isEmpty() ? "" : "; " + warnings.size() + " warning(s) about files left out")
        + perLabel(counts(train), counts(validation));
  }

  /**
   * @param train training examples per label
   * @param validation validation examples per label
   * @return one line per label, each starting with a line break
   */
  public String perLabel(int[] train, int[] validation) {
    int width = labels.stream().mapToInt(String::length).max().orElse(5);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < labels.size(); i++) {
      b.append(String.format("%n  %-" + width + "s  train %4d  val %4d", labels.get(i),
          train[i], validation[i]));
    }
    return b.toString();
  }
}
