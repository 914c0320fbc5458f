package dev.kiln.maven.head;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * How accuracy grows with the number of photos, from the nested cross-validation's folds: each
 * outer fold's head is refitted (at the L2 strength that fold chose) on 25, 50 and 75 % of its
 * training photos, per label, nested subsets; the 100 % point is the estimate's own out-of-fold
 * predictions. Out-of-fold accuracy against the mean training size, a fitted power law {@code
 * error = a·n^-b + c} (weighted least squares, {@code b} on a grid in (0, 2], {@code a, c >= 0}),
 * and from it the accuracy to expect at the size that ships (every photo) and at 2x and 4x the
 * photos, overall and per label, each with a 95 % interval from a bootstrap over the photos (the
 * heads fixed: it measures how well the photos pin the curve, not how the heads would vary).
 */
public final class LearningCurve {

  /** Fractions of each fold's training photos measured. */
  static final double[] FRACTIONS = {0.25, 0.5, 0.75, 1.0};
  /** Multiples of today's photos the curve is extrapolated to. */
  static final int[] FACTORS = {1, 2, 4};
  /** Bootstrap resamples of the photos. */
  static final int BOOTSTRAP = 200;
  /** Exponents tried. */
  static final double B_MAX = 2;

  private LearningCurve() {}

  /**
   * @param fraction share of each fold's training photos
   * @param photos mean training photos of the folds' heads at that share
   * @param accuracy out-of-fold accuracy at that size
   * @param perLabel per label, out-of-fold recall at that size
   */
  public record Point(@JsonProperty("fraction") double fraction,
      @JsonProperty("photos") double photos, @JsonProperty("accuracy") double accuracy,
      @JsonProperty("perLabel") double[] perLabel) {}

  /**
   * {@code error(n) = a·n^-b + c}.
   *
   * @param a scale
   * @param b exponent
   * @param c error the curve levels off at (more photos of the same kind do not remove it)
   */
  public record Fit(@JsonProperty("a") double a, @JsonProperty("b") double b,
      @JsonProperty("c") double c) {
    /** @return the accuracy the curve predicts for {@code n} training photos */
    public double accuracy(double n) {
      return Math.max(0, Math.min(1, 1 - (a * Math.pow(n, -b) + c)));
    }
  }

  /**
   * @param factor multiple of today's photos
   * @param photos training photos
   * @param accuracy predicted accuracy
   * @param low lower end of its 95 % bootstrap interval
   * @param high upper end
   * @param perLabel per label, the predicted recall (no interval)
   */
  public record Projection(@JsonProperty("factor") int factor,
      @JsonProperty("photos") int photos, @JsonProperty("accuracy") double accuracy,
      @JsonProperty("low") double low, @JsonProperty("high") double high,
      @JsonProperty("perLabel") double[] perLabel) {}

  /**
   * What the curve says k-fold's heads miss: they learned from {@code from} photos on average,
   * the head that ships from {@code to}. The gain is read off the fitted curve between the two
   * sizes (a difference along one curve, steadier than either end), its upper end from the same
   * bootstrap as the projections.
   *
   * @param from mean training photos of the estimate's heads
   * @param to training photos of the head that ships
   * @param gain accuracy the curve adds from {@code from} to {@code to} (0 on a flat curve)
   * @param high upper end of its 95 % bootstrap interval
   */
  public record Gain(@JsonProperty("from") double from, @JsonProperty("to") double to,
      @JsonProperty("gain") double gain, @JsonProperty("high") double high) {
    public Gain {
      if (!(gain >= 0 && high >= gain && from > 0 && to >= from)) {
        throw new IllegalArgumentException("inconsistent gain " + gain + " <= " + high
            + " from " + from + " to " + to + " photos");
      }
    }

    /**
     * k-fold's figure with its interval's upper end raised by the gain's upper end: heads trained
     * on fewer photos are the pessimistic side, so the lower end holds; the figure itself stays
     * k-fold's (raising it by the gain made it optimistic where the curve is flat or the photos
     * kept out were harder: docs/benchmarks.md, "Learning curve").
     *
     * @param kFold the nested cross-validation's estimate
     * @return the estimate for the head that ships
     */
    public AccuracyEstimate widen(AccuracyEstimate kFold) {
      return new AccuracyEstimate(kFold.accuracy(), kFold.low(), Math.max(kFold.high(),
          Math.min(1, kFold.high() + high)), kFold.photos(), kFold.method() + String.format(
          Locale.ROOT, "; the interval's upper end raised by %.1f points: the learning curve"
              + " says the shipped head, learning from %.0f photos instead of the folds' %.0f,"
              + " gains %.1f points (up to %.1f)", high * 100, to, from, gain * 100,
          high * 100));
    }
  }

  /**
   * @param points measured accuracy per training size, smallest first
   * @param fit the power law through them
   * @param projections at 1x (the model that ships, trained on every photo), 2x and 4x
   * @param gain from the estimate's heads' size to the shipped head's
   * @param method how, in words
   */
  public record Result(@JsonProperty("points") List<Point> points, @JsonProperty("fit") Fit fit,
      @JsonProperty("projections") List<Projection> projections,
      @JsonProperty("gain") Gain gain, @JsonProperty("method") String method) {
    public Result {
      points = List.copyOf(points);
      projections = List.copyOf(projections);
      java.util.Objects.requireNonNull(gain, "gain");
    }

    /** @return the projection for a multiple of today's photos */
    public Projection at(int factor) {
      return projections.stream().filter(p -> p.factor() == factor).findFirst().orElseThrow();
    }

    /** @return the log line */
    public String line() {
      StringBuilder b = new StringBuilder("out-of-fold accuracy");
      for (Point p : points) {
        b.append(String.format(Locale.ROOT, " %.1f%% at %.0f photos,", p.accuracy() * 100,
            p.photos()));
      }
      b.setLength(b.length() - 1);
      b.append("; expected");
      for (Projection p : projections) {
        b.append(String.format(Locale.ROOT, " %.1f%% (%.1f-%.1f%%) with %s (%d photos),",
            p.accuracy() * 100, p.low() * 100, p.high() * 100,
            p.factor() == 1 ? "every photo" : p.factor() + "x the photos", p.photos()));
      }
      b.setLength(b.length() - 1);
      return b.toString();
    }
  }

  /**
   * @param rows feature rows, as given to {@link LinearHeadSelection#select}
   * @param mirrored their mirror images' features (test-time flip), or null
   * @param labels label per row
   * @param classes number of labels
   * @param keys photo key per row (copies repeat their photo's key)
   * @param outOfFold the nested estimate's predictions (folds, strengths, 100 % point)
   * @param seed seed of the subsets and the bootstrap
   * @param classWeights loss weight per label, or null
   * @return the curve, its fit and the projections
   */
  public static Result measure(float[][] rows, float[][] mirrored, int[] labels, int classes,
      String[] keys, LinearHeadSelection.OutOfFold outOfFold, long seed, double[] classWeights) {
    int n = rows.length;
    int[] fold = outOfFold.fold();
    int folds = outOfFold.lambdas().length;
    boolean[] photo = StratifiedFolds.firstOfKey(keys);
    int[] photoOfRow = new int[n]; // row -> index of its photo's first row
    java.util.Map<String, Integer> first = new java.util.HashMap<>();
    for (int i = 0; i < n; i++) {
      photoOfRow[i] = first.computeIfAbsent(keys[i], x -> photoOfRow.length == 0 ? 0 : -1);
      if (photoOfRow[i] == -1) {
        first.put(keys[i], i);
        photoOfRow[i] = i;
      }
    }
    int[] scored = java.util.stream.IntStream.range(0, n).filter(i -> photo[i]).toArray();
    int m = scored.length;
    int s = FRACTIONS.length;
    boolean[][] right = new boolean[s][m];
    int[] position = new int[n];
    Arrays.fill(position, -1);
    for (int r = 0; r < m; r++) {
      position[scored[r]] = r;
    }
    double[] meanPhotos = new double[s];
    // each photo's rank in a seeded shuffle, per label: the subsets are nested
    double[] order = new double[n];
    Random rnd = new Random(seed);
    for (int i = 0; i < n; i++) {
      order[i] = rnd.nextDouble();
    }
    List<Integer> fractionOf = new ArrayList<>(); // per fit: its fraction's index
    List<int[]> subsets = new ArrayList<>(); // per fit: the photos it scores
    List<java.util.concurrent.Callable<SoftmaxRegression.Model>> fits = new ArrayList<>();
    for (int o = 0; o < folds; o++) {
      final int oo = o;
      int[] held = Arrays.stream(scored).filter(i -> fold[i] == oo).toArray();
      if (held.length == 0) {
        continue;
      }
      List<List<Integer>> byLabel = new ArrayList<>();
      for (int c = 0; c < classes; c++) {
        byLabel.add(new ArrayList<>());
      }
      for (int i : scored) {
        if (fold[i] != o) {
          byLabel.get(labels[i]).add(i);
        }
      }
      for (List<Integer> l : byLabel) {
        l.sort((x, y) -> Double.compare(order[x], order[y]));
      }
      for (int f = 0; f < s; f++) {
        boolean[] chosen = new boolean[n];
        int photos = 0;
        for (List<Integer> l : byLabel) {
          int take = l.isEmpty() ? 0 : Math.max(1, (int) Math.round(FRACTIONS[f] * l.size()));
          for (int j = 0; j < take; j++) {
            chosen[l.get(j)] = true;
          }
          photos += take;
        }
        meanPhotos[f] += photos / (double) folds;
        if (FRACTIONS[f] == 1.0) {
          for (int i : held) {
            right[f][position[i]] = LinearHeadSelection.argMax(outOfFold.probabilities()[i])
                == labels[i];
          }
          continue;
        }
        int[] use = java.util.stream.IntStream.range(0, n)
            .filter(i -> fold[i] != oo && chosen[photoOfRow[i]]).toArray();
        double lambda = outOfFold.lambdas()[o];
        fractionOf.add(f);
        subsets.add(held);
        fits.add(() -> SoftmaxRegression.fit(rows, labels, classes, use, lambda, classWeights,
            null, LinearHeadSelection.SELECTION_TOLERANCE));
      }
    }
    // the subsets' fits are independent: side by side, then scored in order
    List<SoftmaxRegression.Model> models;
    try (ParallelFits parallel = new ParallelFits(n, rows[0].length)) {
      models = parallel.all(fits);
    }
    for (int t = 0; t < models.size(); t++) {
      int f = fractionOf.get(t);
      int[] held = subsets.get(t);
      float[][] p = LinearHeadSelection.probabilities(models.get(t), rows, mirrored, held);
      for (int r = 0; r < held.length; r++) {
        right[f][position[held[r]]] = LinearHeadSelection.argMax(p[r]) == labels[held[r]];
      }
    }
    int[] y = new int[m];
    for (int r = 0; r < m; r++) {
      y[r] = labels[scored[r]];
    }
    int[] all = java.util.stream.IntStream.range(0, m).toArray();
    List<Point> points = new ArrayList<>();
    for (int f = 0; f < s; f++) {
      points.add(new Point(FRACTIONS[f], meanPhotos[f], accuracy(right[f], all),
          recalls(right[f], y, classes, all)));
    }
    double[] sizes = meanPhotos;
    Fit fit = fit(sizes, points.stream().mapToDouble(Point::accuracy).toArray(), m);
    Fit[] perLabel = new Fit[classes];
    for (int c = 0; c < classes; c++) {
      final int cc = c;
      int count = (int) Arrays.stream(y).filter(v -> v == cc).count();
      perLabel[c] = fit(sizes, points.stream().mapToDouble(p -> p.perLabel()[cc]).toArray(),
          Math.max(1, count));
    }
    // bootstrap over the photos: resample, re-measure the points, refit, project
    double[][] boot = new double[FACTORS.length][BOOTSTRAP];
    double[] gains = new double[BOOTSTRAP];
    double from = sizes[s - 1];
    Random br = new Random(seed ^ 0x5DEECE66DL);
    int[] sample = new int[m];
    for (int t = 0; t < BOOTSTRAP; t++) {
      for (int r = 0; r < m; r++) {
        sample[r] = br.nextInt(m);
      }
      double[] acc = new double[s];
      for (int f = 0; f < s; f++) {
        acc[f] = accuracy(right[f], sample);
      }
      Fit bf = fit(sizes, acc, m);
      for (int j = 0; j < FACTORS.length; j++) {
        boot[j][t] = bf.accuracy(FACTORS[j] * (double) m);
      }
      gains[t] = gain(bf, from, m);
    }
    Arrays.sort(gains);
    double g = gain(fit, from, m);
    Gain gain = new Gain(from, m, g, Math.max(g, upper(gains)));
    List<Projection> projections = new ArrayList<>();
    for (int j = 0; j < FACTORS.length; j++) {
      double[] b = boot[j].clone();
      Arrays.sort(b);
      double at = fit.accuracy(FACTORS[j] * (double) m);
      double[] per = new double[classes];
      for (int c = 0; c < classes; c++) {
        per[c] = perLabel[c].accuracy(FACTORS[j] * (double) m);
      }
      projections.add(new Projection(FACTORS[j], FACTORS[j] * m, at,
          Math.min(at, b[(int) Math.floor(0.025 * (BOOTSTRAP - 1))]),
          Math.max(at, upper(b)), per));
    }
    String method = String.format(Locale.ROOT, "each of the %d outer folds' heads refitted at its"
        + " own L2 strength on 25/50/75/100 %% of its training photos (per label, nested"
        + " subsets), scored on its fold; error = a·n^-b + c fitted to the %d points; 95 %%"
        + " intervals from %d bootstrap resamples of the %d photos", folds, s, BOOTSTRAP, m);
    return new Result(points, fit, projections, gain, method);
  }

  /** @return the upper end of a 95 % interval from sorted bootstrap values */
  private static double upper(double[] sorted) {
    return sorted[(int) Math.ceil(0.975 * (sorted.length - 1))];
  }

  /** @return what the curve adds from {@code from} to {@code to} training photos, at least 0 */
  private static double gain(Fit fit, double from, double to) {
    return Math.max(0, fit.accuracy(to) - fit.accuracy(from));
  }

  private static double accuracy(boolean[] right, int[] sample) {
    int r = 0;
    for (int i : sample) {
      r += right[i] ? 1 : 0;
    }
    return r / (double) sample.length;
  }

  private static double[] recalls(boolean[] right, int[] y, int classes, int[] sample) {
    double[] hit = new double[classes];
    double[] count = new double[classes];
    for (int i : sample) {
      count[y[i]]++;
      hit[y[i]] += right[i] ? 1 : 0;
    }
    for (int c = 0; c < classes; c++) {
      hit[c] = count[c] == 0 ? 0 : hit[c] / count[c];
    }
    return hit;
  }

  /**
   * Weighted least squares of {@code error = a·n^-b + c} ({@code a, c >= 0}), each point
   * weighted by the inverse of its binomial variance; {@code b} by grid search in (0, 2].
   *
   * @param n training sizes
   * @param accuracy measured accuracy at each
   * @param photos photos each accuracy rests on (for the weights)
   * @return the best fit
   */
  static Fit fit(double[] n, double[] accuracy, int photos) {
    int s = n.length;
    double[] e = new double[s];
    double[] w = new double[s];
    for (int i = 0; i < s; i++) {
      e[i] = 1 - accuracy[i];
      // binomial variance, kept away from 0 (a point at 100 % still has an uncertainty)
      double p = Math.min(Math.max(e[i], 0.5 / photos), 1 - 0.5 / photos);
      w[i] = photos / (p * (1 - p));
    }
    Fit best = null;
    double bestLoss = Double.POSITIVE_INFINITY;
    for (int g = 1; g <= 200; g++) {
      double b = B_MAX * g / 200;
      double[] x = new double[s];
      for (int i = 0; i < s; i++) {
        x[i] = Math.pow(n[i], -b);
      }
      double[] ac = weightedLine(x, e, w);
      double a = ac[0];
      double c = ac[1];
      if (a < 0) { // error does not fall with n: a flat line at the weighted mean
        a = 0;
        c = weightedMean(e, w);
      } else if (c < 0) { // through the origin
        c = 0;
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < s; i++) {
          sxy += w[i] * x[i] * e[i];
          sxx += w[i] * x[i] * x[i];
        }
        a = sxx == 0 ? 0 : sxy / sxx;
      }
      double loss = 0;
      for (int i = 0; i < s; i++) {
        double r = e[i] - (a * x[i] + c);
        loss += w[i] * r * r;
      }
      if (loss < bestLoss - 1e-15) {
        bestLoss = loss;
        best = new Fit(a, b, c);
      }
    }
    return best;
  }

  /** @return {a, c} of the weighted least-squares line e = a·x + c */
  private static double[] weightedLine(double[] x, double[] e, double[] w) {
    double sw = 0;
    double sx = 0;
    double sy = 0;
    for (int i = 0; i < x.length; i++) {
      sw += w[i];
      sx += w[i] * x[i];
      sy += w[i] * e[i];
    }
    double mx = sx / sw;
    double my = sy / sw;
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < x.length; i++) {
      sxx += w[i] * (x[i] - mx) * (x[i] - mx);
      sxy += w[i] * (x[i] - mx) * (e[i] - my);
    }
    double a = sxx == 0 ? 0 : sxy / sxx;
    return new double[] {a, my - a * mx};
  }

  private static double weightedMean(double[] e, double[] w) {
    double s = 0;
    double sw = 0;
    for (int i = 0; i < e.length; i++) {
      s += w[i] * e[i];
      sw += w[i];
    }
    return s / sw;
  }
}
