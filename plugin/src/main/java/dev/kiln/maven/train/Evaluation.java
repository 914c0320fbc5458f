package dev.kiln.maven.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.kiln.maven.head.LinearHeadSelection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How well a classifier does on labelled images: accuracy, per-label precision/recall/F1, the
 * confusion matrix ({@code confusion[actual][predicted]}) and the worst-classified images.
 * Serialises to JSON with Jackson.
 *
 * @param accuracy fraction right
 * @param images number of images
 * @param labels label names
 * @param perLabel metrics per label, in label order
 * @param confusion counts, rows actual, columns predicted
 * @param worst the misclassified (or least sure) images, worst first
 */
public record Evaluation(
    @JsonProperty("accuracy") double accuracy,
    @JsonProperty("images") int images,
    @JsonProperty("labels") List<String> labels,
    @JsonProperty("perLabel") List<LabelMetrics> perLabel,
    @JsonProperty("confusion") int[][] confusion,
    @JsonProperty("worst") List<Mistake> worst) {

  /**
   * @param label label name
   * @param precision of predictions of this label, how many were right
   * @param recall of images of this label, how many were found
   * @param f1 harmonic mean of the two
   * @param support images of this label
   */
  public record LabelMetrics(String label, double precision, double recall, double f1,
      int support) {}

  /**
   * @param image relative path
   * @param actual true label
   * @param predicted predicted label
   * @param probability probability given to the true label
   */
  public record Mistake(String image, String actual, String predicted, double probability) {}

  /**
   * @param labels label names
   * @param actual true label per image
   * @param probabilities probability rows per image
   * @param names image names (relative paths)
   * @param worstCount how many worst images to keep
   * @return the evaluation
   */
  public static Evaluation of(List<String> labels, int[] actual, float[][] probabilities,
      List<String> names, int worstCount) {
    int k = labels.size();
    int[][] confusion = new int[k][k];
    List<Mistake> mistakes = new ArrayList<>();
    int right = 0;
    for (int i = 0; i < actual.length; i++) {
      int predicted = LinearHeadSelection.argMax(probabilities[i]);
      confusion[actual[i]][predicted]++;
      if (predicted == actual[i]) {
        right++;
      }
      mistakes.add(new Mistake(names.get(i), labels.get(actual[i]), labels.get(predicted),
          probabilities[i][actual[i]]));
    }
    List<LabelMetrics> per = new ArrayList<>();
    for (int c = 0; c < k; c++) {
      int tp = confusion[c][c];
      int predictedC = 0;
      int actualC = 0;
      for (int j = 0; j < k; j++) {
        predictedC += confusion[j][c];
        actualC += confusion[c][j];
      }
      double p = predictedC == 0 ? 0 : tp / (double) predictedC;
      double r = actualC == 0 ? 0 : tp / (double) actualC;
      per.add(new LabelMetrics(labels.get(c), p, r, p + r == 0 ? 0 : 2 * p * r / (p + r), actualC));
    }
    mistakes.sort(Comparator.comparingDouble(Mistake::probability));
    List<Mistake> worst = mistakes.subList(0, Math.min(worstCount, mistakes.size()));
    return new Evaluation(actual.length == 0 ? 0 : right / (double) actual.length, actual.length,
        List.copyOf(labels), per, confusion, List.copyOf(worst));
  }

  /** @return the confusion matrix as aligned text (rows actual, columns predicted) */
  public String confusionText() {
    int w = Math.max(6, labels.stream().mapToInt(String::length).max().orElse(6));
    StringBuilder b = new StringBuilder(String.format("%" + w + "s", "actual\\pred"));
    for (String l : labels) {
      b.append(String.format(" %" + w + "s", l));
    }
    for (int i = 0; i < labels.size(); i++) {
      b.append('\n').append(String.format("%" + w + "s", labels.get(i)));
      for (int j = 0; j < labels.size(); j++) {
        b.append(String.format(" %" + w + "d", confusion[i][j]));
      }
    }
    return b.toString();
  }
}
