package dev.kiln.maven.config;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/** How the learning rate changes over training, per minibatch iteration. */
public enum LearningRateSchedule {
  /** The same rate throughout. */
  CONSTANT,
  /** Linear warm-up over the first epoch (from a tenth of the rate), then cosine decay to 0. */
  WARMUP_COSINE,
  /** The rate divided by 10 after each third of the epochs. */
  STEP;

  /** @return the configuration id, e.g. {@code warmup-cosine} */
  public String id() {
    return ConfigIds.id(this);
  }

  /**
   * @param id the configuration value
   * @return the schedule
   * @throws IllegalArgumentException listing the valid values
   */
  public static LearningRateSchedule parse(String id) {
    return ConfigIds.parse(LearningRateSchedule.class, id, "learning-rate schedule");
  }

  /**
   * @param lr the base learning rate
   * @param epochs planned epochs
   * @param iterationsPerEpoch minibatches per epoch
   * @return the rate at 0-based iteration {@code i}
   */
  double at(double lr, int epochs, int iterationsPerEpoch, int i) {
    int total = Math.max(1, epochs * iterationsPerEpoch);
    return switch (this) {
      case CONSTANT -> lr;
      case WARMUP_COSINE -> {
        int warm = Math.min(iterationsPerEpoch, total - 1);
        if (i < warm) {
          yield lr * (0.1 + 0.9 * i / (double) warm);
        }
        double progress = (i - warm) / (double) Math.max(1, total - warm);
        yield lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
      }
      case STEP -> lr * Math.pow(0.1, Math.min(2, i / Math.max(1, total / 3)));
    };
  }

  /** @return a DL4J schedule with one entry per iteration */
  public ISchedule toSchedule(double lr, int epochs, int iterationsPerEpoch) {
    Map<Integer, Double> values = new HashMap<>();
    int total = Math.max(1, epochs * iterationsPerEpoch);
    for (int i = 0; i < total; i++) {
      values.put(i, at(lr, epochs, iterationsPerEpoch, i));
    }
    return new MapSchedule(ScheduleType.ITERATION, values);
  }
}
