package dev.kiln.maven.suspects;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Confident learning (Northcutt et al., JAIR 2021) on predictions that never came from a head
 * trained on the photo:
 *
 * <ol>
 *   <li>per-label confidence thresholds {@code t_j} = the mean predicted probability of label
 *       {@code j} over the photos labelled {@code j} (the model's self-confidence on that label);
 *   <li>the confident joint {@code C[i][j]}: a photo labelled {@code i} counts toward {@code j}
 *       when {@code p_j >= t_j}; of several such labels, the most probable; a photo with none
 *       counts nowhere;
 *   <li>the suspects: photos counted off the diagonal ({@code j != i}, cleanlab's {@code
 *       filter_by="confident_learning"}), {@code j} being the label suggested;
 *   <li>ranked by margin, {@code p_j - p_i} (the suggested label's probability minus the given
 *       one's), largest first — cleanlab's {@code normalized_margin} order with the suggested
 *       label as the competitor.
 * </ol>
 *
 * Deterministic: ties keep the photos' order.
 */
public final class ConfidentLearning {

  private ConfidentLearning() {}

  /**
   * What confident learning found.
   *
   * @param thresholds per label, {@code t_j} (NaN for a label no photo has)
   * @param joint the confident joint, rows the given label, columns the label counted toward
   * @param suspects the off-diagonal photos, most suspicious first
   */
  public record Result(double[] thresholds, int[][] joint, List<SuspectedLabel> suspects) {
    public Result {
      suspects = List.copyOf(suspects);
    }
  }

  /**
   * @param labels label names
   * @param given the label each photo was given
   * @param probabilities per photo, probabilities no head trained on that photo produced
   * @param paths per photo, its path relative to the images folder
   * @return thresholds, confident joint and the suspects, most suspicious first
   */
  public static Result find(List<String> labels, int[] given, float[][] probabilities,
      List<String> paths) {
    int n = given.length;
    int k = labels.size();
    if (probabilities.length != n || paths.size() != n) {
      throw new IllegalArgumentException("one probability row and one path per photo");
    }
    double[] sum = new double[k];
    int[] count = new int[k];
    for (int i = 0; i < n; i++) {
      if (probabilities[i].length != k) {
        throw new IllegalArgumentException("photo " + paths.get(i) + " has "
            + probabilities[i].length + " probabilities for " + k + " labels");
      }
      sum[given[i]] += probabilities[i][given[i]];
      count[given[i]]++;
    }
    double[] t = new double[k];
    for (int j = 0; j < k; j++) {
      t[j] = count[j] == 0 ? Double.NaN : sum[j] / count[j];
    }
    int[][] joint = new int[k][k];
    List<SuspectedLabel> suspects = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] p = probabilities[i];
      int counted = -1;
      for (int j = 0; j < k; j++) {
        // NaN threshold (no photo has label j): never counted toward it
        if (p[j] >= t[j] && (counted < 0 || p[j] > p[counted])) {
          counted = j;
        }
      }
      if (counted < 0) {
        continue;
      }
      int g = given[i];
      joint[g][counted]++;
      if (counted != g) {
        suspects.add(new SuspectedLabel(paths.get(i), labels.get(g), labels.get(counted),
            clamp(p[counted]), clamp(p[g]), p[counted] - (double) p[g]));
      }
    }
    suspects.sort(Comparator.comparingDouble(SuspectedLabel::margin).reversed());
    return new Result(t, joint, suspects);
  }

  private static double clamp(float v) {
    return Math.max(0, Math.min(1, v));
  }
}
