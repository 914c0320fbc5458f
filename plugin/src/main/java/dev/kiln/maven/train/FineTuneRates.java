package dev.kiln.maven.train;

import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * How mode fine-tune sets its learning rates before the top blocks train: found by a range test
 * ({@link RangeTested}, the default) or given ({@link Fixed}).
 */
sealed interface FineTuneRates {

  /**
   * @param start the graph about to be trained (not changed)
   * @param train the training examples (read as for evaluation)
   * @param s the stage's settings
   * @return the rates of the head and of the blocks
   */
  LayerRates choose(ComputationGraph start, Inputs train, int classes, FitSettings s,
      ProgressListener listener);

  /**
   * One rate for every layer.
   *
   * @param rate the rate (e.g. the Keras guide's hundredth of the head's)
   */
  record Fixed(double rate) implements FineTuneRates {
    @Override
    public LayerRates choose(ComputationGraph start, Inputs train, int classes, FitSettings s,
        ProgressListener listener) {
      return LayerRates.uniform(rate);
    }
  }

  /**
   * The head's rate found by a learning-rate range test on the training photos, the blocks at a
   * lower one (discriminative rates); where the test finds no rate (the loss never turned up, or
   * at once), {@code
   * fallback} for every layer.
   *
   * @param test the range test
   * @param blockDivisor the blocks learn at the head's rate divided by this
   * @param fallback the rate when the test finds none
   */
  record RangeTested(LearningRateRangeTest test, double blockDivisor, double fallback)
      implements FineTuneRates {

    public RangeTested {
      if (!(blockDivisor >= 1) || !(fallback > 0)) {
        throw new IllegalArgumentException("blockDivisor must be at least 1 and fallback"
            + " positive: " + blockDivisor + ", " + fallback);
      }
    }

    @Override
    public LayerRates choose(ComputationGraph start, Inputs train, int classes, FitSettings s,
        ProgressListener listener) {
      LearningRateRangeTest.Result r = test.run(start.clone(), train, classes, blockDivisor, s);
      double found = r.suggested();
      if (Double.isNaN(found)) {
        listener.phase("learning rate", r.line() + String.format(Locale.ROOT, "; no rate"
            + " found: every layer at %.2g instead", fallback));
        return LayerRates.uniform(fallback);
      }
      LayerRates rates = LayerRates.discriminative(found, blockDivisor);
      listener.phase("learning rate", r.line() + " for the head, the blocks at a "
          + (blockDivisor == 10 ? "tenth" : "1/" + blockDivisor) + " of it");
      return rates;
    }
  }
}
