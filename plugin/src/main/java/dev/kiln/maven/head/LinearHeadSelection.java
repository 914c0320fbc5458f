package dev.kiln.maven.head;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Chooses the L2 strength of a {@link SoftmaxRegression} head by stratified k-fold
 * cross-validation (lowest pooled validation log-loss over a grid, strongest first, each fit warm
 * started from the previous strength), fits the shipped head on every given row with it, and —
 * when asked — estimates its accuracy by nested cross-validation: the photos of each outer fold
 * are predicted by a head whose strength was chosen on the other folds alone, so no decision
 * about a photo's prediction ever saw that photo.
 */
public final class LinearHeadSelection {

  /** L2 strengths tried, strongest first: 10, 10^0.5, …, 10^-6 (on standardised features). */
  static final double[] LAMBDAS = grid();
  /**
   * Gradient max-norm at which the cross-validation's fits (and the learning curve's) stop: they
   * only score held-out photos and choose a strength; the shipped head converges to
   * {@link SoftmaxRegression#TOLERANCE}. Measured on the 1,500 hand-sign digits
   * ({@code SelectionToleranceBenchmark}): 1.8× faster than 1e-6 with the same strength chosen
   * and 0 (MobileNet v1) and 2 (MobileNetV2) of 1,500 out-of-fold predictions different; 1e-4
   * was 3–4× faster but changed 3–8 predictions and lowered the estimate.
   */
  static final double SELECTION_TOLERANCE = 1e-5;
  /** Strengths past the best one tried before the search stops. */
  static final int PATIENCE = 3;

  private LinearHeadSelection() {}

  private static double[] grid() {
    double[] g = new double[15];
    for (int i = 0; i < g.length; i++) {
      g[i] = Math.pow(10, 1 - 0.5 * i);
    }
    return g;
  }

  /** What the selection measures besides choosing the strength. */
  public enum Scoring {
    /** The strength alone (the held-out photos measure the shipped head). */
    NONE,
    /**
     * Also each photo's out-of-fold prediction at the chosen strength (plain k-fold: the choice
     * saw every fold), so candidates compare on one protocol when photos kept apart measure the
     * shipped model; a third of the nested estimate's fits.
     */
    OUT_OF_FOLD,
    /** Also the nested estimate and its out-of-fold predictions. */
    NESTED
  }

  /**
   * @param lambda L2 strength
   * @param loss pooled cross-validated log-loss
   * @param accuracy pooled cross-validated accuracy
   */
  public record Point(double lambda, double loss, double accuracy) {}

  /**
   * @param model the head fitted on every row at the chosen strength
   * @param lambda the chosen strength
   * @param folds folds used
   * @param curve cross-validated loss and accuracy per strength tried
   * @param estimate the nested cross-validation estimate, or null when not asked for
   * @param outOfFold the predictions behind the estimate, or with {@link Scoring#OUT_OF_FOLD}
   *     the plain k-fold ones at the chosen strength; null when not asked for
   * @param fits L-BFGS fits made
   * @param millis wall time
   */
  public record Result(SoftmaxRegression.Model model, double lambda, int folds, List<Point> curve,
      AccuracyEstimate estimate, OutOfFold outOfFold, int fits, long millis) {
    /**
     * @param replaced the estimate to carry instead
     * @return the same selection with that estimate
     */
    public Result withEstimate(AccuracyEstimate replaced) {
      return new Result(model, lambda, folds, curve, replaced, outOfFold, fits, millis);
    }

    /** @return the chosen point of the curve */
    public Point chosen() {
      return curve.stream().filter(p -> p.lambda() == lambda).findFirst().orElseThrow();
    }
  }

  /**
   * The predictions behind the nested estimate: each photo's probabilities from the head of its
   * outer fold, fitted on the other folds alone at the strength those folds chose (with {@link
   * Scoring#OUT_OF_FOLD}: at the strength all folds chose). No photo's
   * prediction comes from a head that trained on it. Arrays are aligned with the rows given to
   * {@link #select}; augmented copies (rows repeating an earlier row's key) are never scored
   * and have no prediction.
   *
   * @param probabilities per row, the out-of-fold probabilities (null for augmented copies)
   * @param fold per row, the outer fold it belongs to (its predicting head left that fold out)
   * @param lambdas per outer fold, the L2 strength its head was fitted with
   */
  public record OutOfFold(float[][] probabilities, int[] fold, double[] lambdas) {
    public OutOfFold {
      if (probabilities.length != fold.length) {
        throw new IllegalArgumentException("one fold per row");
      }
    }

    /** @return whether row {@code i} has an out-of-fold prediction (a photo, not a copy) */
    public boolean scored(int i) {
      return probabilities[i] != null;
    }
  }

  /**
   * @param rows feature rows
   * @param labels label per row
   * @param classes number of labels
   * @param keys stable key per row (relative path) for the fold assignment; rows repeating an
   *     earlier row's key are its augmented copies: they train, in that photo's fold, but are
   *     never scored
   * @param k folds wanted
   * @param seed seed of the fold assignment
   * @param classWeights loss weight per label, or null
   * @param estimate also run the nested cross-validation estimate
   * @return the chosen strength, the fitted head and, when asked, the estimate
   */
  public static Result select(float[][] rows, int[] labels, int classes, String[] keys, int k,
      long seed, double[] classWeights, boolean estimate) {
    return select(rows, null, labels, classes, keys, k, seed, classWeights, estimate);
  }

  /**
   * As {@link #select(float[][], int[], int, String[], int, long, double[], boolean)}, with
   * test-time flip: held-out photos are scored by the mean of the head's probabilities on their
   * features and on their mirror image's features, as the exported graph would.
   *
   * @param mirrored features of each row's mirror image, or null for no test-time flip
   */
  public static Result select(float[][] rows, float[][] mirrored, int[] labels, int classes,
      String[] keys, int k, long seed, double[] classWeights, boolean estimate) {
    return select(rows, mirrored, labels, classes, keys, k, seed, classWeights,
        estimate ? Scoring.NESTED : Scoring.NONE, SELECTION_TOLERANCE);
  }

  /**
   * As {@link #select(float[][], float[][], int[], int, String[], int, long, double[], boolean)},
   * measuring what {@code scoring} says.
   */
  public static Result select(float[][] rows, float[][] mirrored, int[] labels, int classes,
      String[] keys, int k, long seed, double[] classWeights, Scoring scoring) {
    return select(rows, mirrored, labels, classes, keys, k, seed, classWeights, scoring,
        SELECTION_TOLERANCE);
  }

  /**
   * As {@link #select(float[][], float[][], int[], int, String[], int, long, double[], Scoring)},
   * the cross-validation's fits converged to {@code tolerance} (the shipped head's fit always to
   * {@link SoftmaxRegression#TOLERANCE}).
   */
  public static Result select(float[][] rows, float[][] mirrored, int[] labels, int classes,
      String[] keys, int k, long seed, double[] classWeights, Scoring scoring,
      double tolerance) {
    boolean estimate = scoring == Scoring.NESTED;
    long t0 = System.nanoTime();
    int[] fold = StratifiedFolds.assign(labels, keys, k, seed);
    int folds = java.util.Arrays.stream(fold).max().orElse(0) + 1;
    int n = rows.length;
    boolean[] scored = StratifiedFolds.firstOfKey(keys);
    int photos = 0;
    for (boolean b : scored) {
      photos += b ? 1 : 0;
    }
    int grid = LAMBDAS.length;
    // out-of-fold predicted label and log-loss per strength, from fits leaving one fold out
    int[][] predicted = new int[grid][];
    double[][] rowLoss = new double[grid][];
    // this strength's out-of-fold probabilities, and each outer fold's at its inner-best strength
    float[][] current = new float[n][];
    float[][] outOfFold = estimate ? new float[n][] : null;
    // OUT_OF_FOLD: the single fits' predictions at the best strength so far
    float[][] atBest = null;
    // inner[o][g]: fits leaving folds o and i out, scored on fold i, summed over i != o
    double[][] inner = new double[folds][grid];
    SoftmaxRegression.Model[] single = new SoftmaxRegression.Model[folds];
    SoftmaxRegression.Model[][] pair = new SoftmaxRegression.Model[folds][folds];
    int[][] scoredIn = new int[folds][];
    for (int f = 0; f < folds; f++) {
      final int ff = f;
      scoredIn[f] = java.util.stream.IntStream.range(0, n)
          .filter(i -> fold[i] == ff && scored[i]).toArray();
    }
    List<Point> curve = new ArrayList<>();
    int best = 0;
    int[] innerBest = new int[folds];
    int fits = 0;
    int tried = 0;
    // strongest first, each fit warm started from the previous strength; stop once the pooled
    // loss (and every outer fold's inner loss) has not improved for PATIENCE strengths
    try (ParallelFits parallel = new ParallelFits(n, rows[0].length)) {
      for (int g = 0; g < grid; g++) {
        predicted[g] = new int[n];
        rowLoss[g] = new double[n];
        // this strength's fits are independent (each warm started from its own previous one):
        // side by side, then scored in order
        double lambda = LAMBDAS[g];
        List<java.util.concurrent.Callable<SoftmaxRegression.Model>> tasks = new ArrayList<>();
        for (int o = 0; o < folds; o++) {
          int[] use = rowsNotIn(fold, o, -1);
          SoftmaxRegression.Model warm = single[o];
          tasks.add(() -> SoftmaxRegression.fit(rows, labels, classes, use, lambda, classWeights,
              warm, tolerance));
        }
        for (int a = 0; estimate && a < folds; a++) {
          for (int b = a + 1; b < folds; b++) {
            int[] use = rowsNotIn(fold, a, b);
            SoftmaxRegression.Model warm = pair[a][b];
            tasks.add(() -> SoftmaxRegression.fit(rows, labels, classes, use, lambda,
                classWeights, warm, tolerance));
          }
        }
        List<SoftmaxRegression.Model> fitted = parallel.all(tasks);
        fits += fitted.size();
        for (int o = 0; o < folds; o++) {
          single[o] = fitted.get(o);
          score(single[o], rows, mirrored, labels, scoredIn[o], predicted[g], rowLoss[g],
              current);
        }
        double loss = sum(rowLoss[g]) / photos;
        curve.add(new Point(LAMBDAS[g], loss, accuracy(predicted[g], labels, scored, photos)));
        if (loss < curve.get(best).loss() - 1e-9) {
          best = g;
        }
        if (scoring == Scoring.OUT_OF_FOLD && best == g) {
          atBest = current.clone(); // score() gives each row a new array per strength
        }
        if (estimate) {
          int next = folds;
          for (int a = 0; a < folds; a++) {
            for (int b = a + 1; b < folds; b++) {
              pair[a][b] = fitted.get(next++);
              // outer b scores inner fold a; outer a scores inner fold b
              inner[b][g] += logLoss(pair[a][b], rows, mirrored, labels, scoredIn[a]);
              inner[a][g] += logLoss(pair[a][b], rows, mirrored, labels, scoredIn[b]);
            }
          }
          for (int o = 0; o < folds; o++) {
            if (inner[o][g] < inner[o][innerBest[o]] - 1e-9) {
              innerBest[o] = g;
            }
            if (innerBest[o] == g) { // single[o] is this strength's head without fold o
              for (int i : scoredIn[o]) {
                outOfFold[i] = current[i];
              }
            }
          }
        }
        tried = g + 1;
        boolean done = g - best >= PATIENCE;
        for (int o = 0; estimate && o < folds; o++) {
          done &= g - innerBest[o] >= PATIENCE;
        }
        if (done) {
          break;
        }
      }
    }
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    SoftmaxRegression.Model model = SoftmaxRegression.fit(rows, labels, classes, all,
        LAMBDAS[best], classWeights, null);
    fits++;
    AccuracyEstimate est = null;
    OutOfFold oof = null;
    if (estimate) {
      double[] lambdas = new double[folds];
      for (int o = 0; o < folds; o++) {
        lambdas[o] = LAMBDAS[innerBest[o]];
      }
      oof = new OutOfFold(outOfFold, fold.clone(), lambdas);
      int right = 0;
      for (int o = 0; o < folds; o++) {
        for (int i : scoredIn[o]) {
          if (predicted[innerBest[o]][i] == labels[i]) {
            right++;
          }
        }
      }
      est = AccuracyEstimate.exact(right, photos, String.format(Locale.ROOT,
          "nested %d-fold cross-validation over all %d labelled photos: each photo predicted by"
              + " a head that never saw it, its L2 strength chosen on the other folds alone",
          folds, photos));
    }
    if (scoring == Scoring.OUT_OF_FOLD) {
      double[] lambdas = new double[folds];
      java.util.Arrays.fill(lambdas, LAMBDAS[best]);
      oof = new OutOfFold(atBest, fold.clone(), lambdas);
    }
    return new Result(model, LAMBDAS[best], folds, List.copyOf(curve.subList(0, tried)), est,
        oof, fits, (System.nanoTime() - t0) / 1_000_000);
  }

  /** @return the head's probabilities for rows {@code held}, averaged with their mirrors' */
  static float[][] probabilities(SoftmaxRegression.Model m, float[][] rows, float[][] mirrored,
      int[] held) {
    float[][] p = m.probabilities(pick(rows, held));
    if (mirrored != null) {
      float[][] q = m.probabilities(pick(mirrored, held));
      for (int i = 0; i < p.length; i++) {
        for (int c = 0; c < p[i].length; c++) {
          p[i][c] = (p[i][c] + q[i][c]) / 2;
        }
      }
    }
    return p;
  }

  private static void score(SoftmaxRegression.Model m, float[][] rows, float[][] mirrored,
      int[] labels, int[] held, int[] predicted, double[] loss, float[][] probabilities) {
    float[][] p = probabilities(m, rows, mirrored, held);
    for (int r = 0; r < held.length; r++) {
      int i = held[r];
      probabilities[i] = p[r];
      predicted[i] = argMax(p[r]);
      loss[i] = -Math.log(Math.max(1e-12, p[r][labels[i]]));
    }
  }

  private static double logLoss(SoftmaxRegression.Model m, float[][] rows, float[][] mirrored,
      int[] labels, int[] held) {
    float[][] p = probabilities(m, rows, mirrored, held);
    double s = 0;
    for (int r = 0; r < held.length; r++) {
      s -= Math.log(Math.max(1e-12, p[r][labels[held[r]]]));
    }
    return s;
  }

  static float[][] pick(float[][] rows, int[] idx) {
    float[][] out = new float[idx.length][];
    for (int i = 0; i < idx.length; i++) {
      out[i] = rows[idx[i]];
    }
    return out;
  }

  static int[] rowsNotIn(int[] fold, int a, int b) {
    return java.util.stream.IntStream.range(0, fold.length)
        .filter(i -> fold[i] != a && fold[i] != b).toArray();
  }

  /** @return the index of the largest value (the first one on ties) */
  public static int argMax(float[] row) {
    int best = 0;
    for (int i = 1; i < row.length; i++) {
      if (row[i] > row[best]) {
        best = i;
      }
    }
    return best;
  }

  private static double sum(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s;
  }

  private static double accuracy(int[] predicted, int[] labels, boolean[] scored, int photos) {
    int right = 0;
    for (int i = 0; i < labels.length; i++) {
      if (scored[i] && predicted[i] == labels[i]) {
        right++;
      }
    }
    return right / (double) photos;
  }
}
