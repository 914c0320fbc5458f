package dev.kiln.maven.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * The learning-rate range test (Smith 2017, "Cyclical learning rates"; fastai's {@code
 * lr_find}): a short run of minibatches on the training examples with the rate growing
 * exponentially from {@code startRate} to {@code endRate}, the loss smoothed (debiased
 * exponential moving average), stopped once it diverges; the rate chosen is a decade below the
 * one at which the loss turned up (rose to {@value #TURNED_UP} times its lowest so far). That is
 * the classic "a decade below the minimum" where the loss falls first (a new head), and still
 * sound where it cannot fall (a head already fitted to these photos, a flat and noisy curve whose
 * minimum is chance). The graph is trained in place: give it a copy.
 *
 * @param startRate the first step's rate
 * @param endRate the last step's rate
 * @param steps minibatches at most
 * @param divergence the test stops once the smoothed loss exceeds this multiple of its minimum
 */
record LearningRateRangeTest(double startRate, double endRate, int steps, double divergence) {

  /**
   * fastai's range (1e-7 to 10, 100 steps, stop at 4x the minimum), up to 1 for Adam and in 60
   * steps (8.5 per decade), as each step costs a minibatch of the top blocks.
   */
  static final LearningRateRangeTest STANDARD = new LearningRateRangeTest(1e-7, 1, 60, 4);
  /**
   * Weight of the moving average of the loss: it spans about 10 steps, a decade and a bit of
   * rates (fastai's 0.98 spans 50 of its 100 steps: a rise shows decades late).
   */
  static final double SMOOTHING = 0.9;
  /** The loss turned up where it reached this multiple of its lowest so far. */
  static final double TURNED_UP = 2;
  /** The rate chosen is the one where the loss turned up divided by this. */
  static final double BELOW_TURN = 10;

  LearningRateRangeTest {
    if (!(startRate > 0 && endRate > startRate) || steps < 2 || !(divergence > 1)) {
      throw new IllegalArgumentException("a range test needs 0 < startRate < endRate, at least"
          + " 2 steps and divergence > 1: " + startRate + ", " + endRate + ", " + steps + ", "
          + divergence);
    }
  }

  /**
   * What the test saw.
   *
   * @param rates the head's rate at each step run
   * @param losses the smoothed training loss after each step
   * @param skip the first steps, where the minimum is not looked for
   * @param minimum the step of the lowest smoothed loss after them
   * @param turn the first step at which the smoothed loss reached {@link #TURNED_UP} times its
   *     lowest so far, or -1
   * @param diverged the step at which the loss diverged, or -1 when it never did
   */
  record Result(double[] rates, double[] losses, int skip, int minimum, int turn,
      int diverged) {

    /**
     * @return a decade below the rate at which the loss turned up, or NaN when it never did (or
     *     did at once: nothing to choose from)
     */
    double suggested() {
      return turn <= skip ? Double.NaN : rates[turn] / BELOW_TURN;
    }

    /** @return the rate at which the loss diverged, or NaN when it never did */
    double divergedAt() {
      return diverged < 0 ? Double.NaN : rates[diverged];
    }

    /** @return a line for the log */
    String line() {
      return String.format(Locale.ROOT, "range test: %d steps from %.1g, smoothed loss %.3f at"
          + " the start, lowest %.3f at rate %.2g, %s, %s; chosen %.2g", rates.length, rates[0],
          losses[0], losses[minimum], rates[minimum], turn < 0 ? "never turned up"
              : String.format(Locale.ROOT, "turned up at %.2g", rates[turn]),
          diverged < 0 ? "no divergence up to " + String.format(Locale.ROOT, "%.2g",
              rates[rates.length - 1])
              : String.format(Locale.ROOT, "diverged at %.2g", rates[diverged]), suggested());
    }
  }

  /**
   * @return the first steps the minimum is not looked for in: the moving average has seen too
   *     few minibatches there (fastai skips the start of the curve alike)
   */
  static int skipped(int steps) {
    return Math.max(1, steps / 20);
  }

  /**
   * Runs the test on a copy of the graph about to be trained.
   *
   * @param g the graph (trained in place: pass a copy)
   * @param train the training examples (read as for evaluation, epoch 0)
   * @param blockDivisor the pretrained blocks learn at the head's rate divided by this
   * @param s the batch size, label smoothing and seed
   * @return the rates, the smoothed losses and the rate chosen
   */
  Result run(ComputationGraph g, Inputs train, int classes, double blockDivisor, FitSettings s) {
    double gamma = Math.pow(endRate / startRate, 1.0 / (steps - 1));
    int offset = g.getConfiguration().getIterationCount();
    LayerRates.discriminative(startRate / Math.pow(gamma, offset), blockDivisor).applyTo(g,
        r -> new ExponentialSchedule(ScheduleType.ITERATION, r, gamma));
    int[] labels = train.labels();
    INDArray y = Metrics.oneHot(labels, classes);
    if (s.labelSmoothing() > 0) {
      y.muli(1 - s.labelSmoothing()).addi(s.labelSmoothing() / classes);
    }
    ReusedArrays targets = new ReusedArrays();
    Random random = new Random(s.seed());
    int[] order = shuffled(labels.length, random);
    int batch = Math.min(s.batchSize(), labels.length);
    double[] rates = new double[steps];
    double[] losses = new double[steps];
    double average = 0;
    int skip = skipped(steps);
    int minimum = skip;
    int turn = -1;
    int diverged = -1;
    int step = 0;
    for (int from = 0; step < steps; step++, from += batch) {
      if (from + batch > order.length) {
        order = shuffled(labels.length, random);
        from = 0;
      }
      int[] idx = Arrays.copyOfRange(order, from, from + batch);
      g.fit(new DataSet(train.batch(idx, 0), targets.rows(y, idx)));
      // the minibatch's loss alone: the weight decay's term would hide its trend
      double loss = g.score() - g.calcRegularizationScore(true);
      rates[step] = startRate * Math.pow(gamma, step);
      average = SMOOTHING * average + (1 - SMOOTHING) * loss;
      losses[step] = average / (1 - Math.pow(SMOOTHING, step + 1));
      if (step < skip) {
        continue; // the average has seen too few minibatches
      }
      if (losses[step] < losses[minimum]) {
        minimum = step;
      }
      if (turn < 0 && !(losses[step] < TURNED_UP * losses[minimum])) {
        turn = step;
      }
      if (!(losses[step] <= divergence * losses[minimum])) {
        diverged = step;
        step++;
        break;
      }
    }
    return new Result(Arrays.copyOf(rates, step), Arrays.copyOf(losses, step), skip,
        Math.min(minimum, step - 1), turn, diverged);
  }

  private static int[] shuffled(int n, Random random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }
}
