package dev.kiln.maven.train;

import dev.kiln.maven.config.LearningRateSchedule;
import dev.kiln.maven.config.TrainConfiguration;
import java.time.Duration;
import java.util.Objects;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * How one stage's epoch loop trains ({@link FitLoop}), typed from the configuration: each stage
 * takes the configuration's values and changes what is its own (e.g. fine-tuning's lower
 * learning rate) with the {@code with…} methods.
 *
 * @param epochs maximum epochs
 * @param batchSize minibatch size
 * @param learningRate Adam learning rate
 * @param schedule how the learning rate changes over the epochs
 * @param dropout dropout rate before the head
 * @param weightDecay decoupled weight decay coefficient
 * @param patience epochs without a real validation-loss improvement before stopping
 * @param labelSmoothing ε: targets become (1 − ε)·one-hot + ε/K
 * @param hiddenUnits units of a ReLU dense layer before the softmax (0: none)
 * @param seed seed of initialisation, dropout and shuffling
 * @param timeLimit wall time after which no further epoch starts, or null for none
 */
record FitSettings(int epochs, int batchSize, double learningRate,
    LearningRateSchedule schedule, double dropout, double weightDecay, int patience,
    double labelSmoothing, int hiddenUnits, long seed, Duration timeLimit) {

  FitSettings {
    Objects.requireNonNull(schedule, "schedule");
    if (epochs < 1 || batchSize < 1 || patience < 1) {
      throw new IllegalArgumentException("epochs, batchSize and patience must be at least 1: "
          + epochs + ", " + batchSize + ", " + patience);
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learningRate must be positive: " + learningRate);
    }
    if (timeLimit != null && (timeLimit.isNegative() || timeLimit.isZero())) {
      throw new IllegalArgumentException("timeLimit must be positive: " + timeLimit);
    }
  }

  /** @return the configuration's training settings, as a stage starts from them */
  static FitSettings of(TrainConfiguration c) {
    TrainConfiguration.Optimisation o = c.optimisation();
    return new FitSettings(o.epochs(), o.batchSize(), o.learningRate(), o.schedule(),
        c.head().dropout(), o.weightDecay(), o.patience(), c.head().labelSmoothing(),
        c.head().hiddenUnits(), o.seed(), null);
  }

  /** @return these settings at another learning rate */
  FitSettings withLearningRate(double rate) {
    return new FitSettings(epochs, batchSize, rate, schedule, dropout, weightDecay, patience,
        labelSmoothing, hiddenUnits, seed, timeLimit);
  }

  /** @return these settings with another early-stopping patience */
  FitSettings withPatience(int epochsWithoutImprovement) {
    return new FitSettings(epochs, batchSize, learningRate, schedule, dropout, weightDecay,
        epochsWithoutImprovement, labelSmoothing, hiddenUnits, seed, timeLimit);
  }

  /** @return these settings with a wall-time limit on the loop */
  FitSettings withTimeLimit(Duration limit) {
    return new FitSettings(epochs, batchSize, learningRate, schedule, dropout, weightDecay,
        patience, labelSmoothing, hiddenUnits, seed, limit);
  }

  /** @return minibatches per epoch for that many examples */
  int iterations(int examples) {
    return (examples + batchSize - 1) / batchSize;
  }

  /**
   * @param iterationsPerEpoch minibatches per epoch
   * @return Adam at this learning rate, following the schedule
   */
  IUpdater updater(int iterationsPerEpoch) {
    return schedule == LearningRateSchedule.CONSTANT ? new Adam(learningRate)
        : new Adam(schedule.toSchedule(learningRate, epochs, iterationsPerEpoch));
  }
}
