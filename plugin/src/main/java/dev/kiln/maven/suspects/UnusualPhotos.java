package dev.kiln.maven.suspects;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Photos unlike the rest, in the backbone's own feature space: each photo's score is its mean
 * cosine distance to its {@value #NEIGHBOURS} nearest other photos (any label; a k-nearest-
 * neighbour outlier score); the unusual ones lie beyond Tukey's far-out fence, the upper quartile
 * plus {@value #FENCE} interquartile ranges, most unusual first. With more than {@value
 * #REFERENCE} photos, distances are taken to a seeded sample of that many. Plain Java over the
 * pooled features; it never changes training.
 */
public final class UnusualPhotos {

  /** Nearest photos averaged. */
  static final int NEIGHBOURS = 5;
  /** Interquartile ranges above the upper quartile that make a photo unusual. */
  static final double FENCE = 3;
  /** Most photos each one is compared with. */
  static final int REFERENCE = 2000;

  private UnusualPhotos() {}

  /**
   * @param paths per photo, its path relative to the images folder
   * @param labels per photo, its label's name
   * @param features per photo, its pooled features (one row per photo)
   * @param seed seed of the reference sample
   * @return the photos beyond the fence, most unusual first (empty under {@code 2 ×
   *     NEIGHBOURS} photos: too few to say what is usual)
   */
  public static List<UnusualPhoto> find(List<String> paths, List<String> labels,
      float[][] features, long seed) {
    int n = features.length;
    if (paths.size() != n || labels.size() != n) {
      throw new IllegalArgumentException("one path and one label per feature row");
    }
    if (n < 2 * NEIGHBOURS) {
      return List.of();
    }
    double[][] unit = new double[n][];
    for (int i = 0; i < n; i++) {
      unit[i] = unit(features[i]);
    }
    int[] reference = reference(n, seed);
    double[] score = new double[n];
    double[] nearest = new double[NEIGHBOURS];
    for (int i = 0; i < n; i++) {
      Arrays.fill(nearest, Double.POSITIVE_INFINITY);
      for (int j : reference) {
        if (j == i) {
          continue;
        }
        double d = 1 - dot(unit[i], unit[j]);
        if (d < nearest[NEIGHBOURS - 1]) { // insert, keeping the smallest few sorted
          int at = NEIGHBOURS - 1;
          while (at > 0 && nearest[at - 1] > d) {
            nearest[at] = nearest[at - 1];
            at--;
          }
          nearest[at] = d;
        }
      }
      double sum = 0;
      for (double d : nearest) {
        sum += d;
      }
      score[i] = Math.max(0, sum / NEIGHBOURS);
    }
    double[] sorted = score.clone();
    Arrays.sort(sorted);
    double q1 = quantile(sorted, 0.25);
    double median = quantile(sorted, 0.5);
    double q3 = quantile(sorted, 0.75);
    double iqr = q3 - q1;
    List<UnusualPhoto> out = new ArrayList<>();
    if (iqr <= 0) {
      return out;
    }
    for (int i = 0; i < n; i++) {
      double spread = (score[i] - q3) / iqr;
      if (spread > FENCE) {
        out.add(new UnusualPhoto(paths.get(i), labels.get(i), score[i], median, spread));
      }
    }
    out.sort(Comparator.comparingDouble(UnusualPhoto::distance).reversed());
    return List.copyOf(out);
  }

  private static int[] reference(int n, long seed) {
    int[] all = java.util.stream.IntStream.range(0, n).toArray();
    if (n <= REFERENCE) {
      return all;
    }
    Random r = new Random(seed);
    for (int i = n - 1; i > 0; i--) { // Fisher-Yates, the first REFERENCE kept
      int j = r.nextInt(i + 1);
      int t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    return Arrays.copyOf(all, REFERENCE);
  }

  private static double[] unit(float[] v) {
    double s = 0;
    for (float x : v) {
      s += (double) x * x;
    }
    double norm = s == 0 ? 1 : Math.sqrt(s);
    double[] u = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      u[i] = v[i] / norm;
    }
    return u;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /** @return the linear-interpolated quantile of sorted values */
  static double quantile(double[] sorted, double q) {
    double at = q * (sorted.length - 1);
    int lo = (int) Math.floor(at);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
  }
}
