package dev.kiln.maven.train;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.kiln.maven.head.LinearHeadSelection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How well a classifier does on labelled images: accuracy, per-label precision/recall/F1, the
 * confusion matrix ({@code confusion[actual][predicted]}) and the worst-classified images, with
 * the photos they come from in words. Serialises to JSON with Jackson.
 *
 * @param source which photos, predicted by what (a training's evaluation never rests on photos
 *     the predicting head trained on: see {@link HonestEvaluation})
 * @param accuracy fraction right
 * @param images number of images
 * @param labels label names
 * @param perLabel metrics per label, in label order
 * @param confusion counts, rows actual, columns predicted
 * @param worst the images with the highest loss (lowest probability for their true label),
 *     worst first: the misclassified ones, then the least sure
 * @param photos every image behind it (relative paths, in order; not serialised)
 * @param predictions every image's prediction, in the order of {@code photos} (not serialised:
 *     kept with the build's outputs so that the next build can say what changed)
 */
public record Evaluation(
    @JsonProperty("source") String source,
    @JsonProperty("accuracy") double accuracy,
    @JsonProperty("images") int images,
    @JsonProperty("labels") List<String> labels,
    @JsonProperty("perLabel") List<LabelMetrics> perLabel,
    @JsonProperty("confusion") int[][] confusion,
    @JsonProperty("worst") List<Mistake> worst,
    @JsonIgnore List<String> photos,
    @JsonIgnore List<Mistake> predictions) {

  public Evaluation {
    photos = List.copyOf(photos);
    predictions = List.copyOf(predictions);
    if (predictions.size() != photos.size()) {
      throw new IllegalArgumentException("one prediction per photo: " + predictions.size()
          + " predictions for " + photos.size() + " photos");
    }
    if (source == null || source.isBlank()) {
      throw new IllegalArgumentException("an evaluation says which photos it rests on");
    }
  }

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
   * @param predicted the label the model believed (its most probable)
   * @param probability probability given to the true label
   * @param predictedProbability probability given to the believed label
   * @param fold for out-of-fold predictions, the cross-validation fold the photo was in (its
   *     predicting head was fitted without that fold); null for photos held out of training
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Mistake(String image, String actual, String predicted, double probability,
      double predictedProbability, Integer fold) {}

  /**
   * @param labels label names
   * @param actual true label per image
   * @param probabilities probability rows per image
   * @param names image names (relative paths)
   * @param worstCount how many worst images to keep
   * @param source which photos, predicted by what
   * @return the evaluation
   */
  public static Evaluation of(List<String> labels, int[] actual, float[][] probabilities,
      List<String> names, int worstCount, String source) {
    return of(labels, actual, probabilities, names, null, worstCount, source);
  }

  /**
   * As {@link #of(List, int[], float[][], List, int, String)}, with the fold that predicted each
   * photo (out-of-fold predictions), or null.
   */
  static Evaluation of(List<String> labels, int[] actual, float[][] probabilities,
      List<String> names, int[] folds, int worstCount, String source) {
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
          probabilities[i][actual[i]], probabilities[i][predicted],
          folds == null ? null : folds[i]));
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
    List<Mistake> inOrder = List.copyOf(mistakes);
    mistakes.sort(Comparator.comparingDouble(Mistake::probability));
    List<Mistake> worst = mistakes.subList(0, Math.min(worstCount, mistakes.size()));
    return new Evaluation(source, actual.length == 0 ? 0 : right / (double) actual.length, actual.length,
        List.copyOf(labels), per, confusion, List.copyOf(worst), names, inOrder);
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
