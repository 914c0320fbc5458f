package dev.kiln.maven.train;

import dev.kiln.maven.config.Mode;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.KilnException;
import java.util.List;
import java.util.Objects;

/**
 * How a model is trained: the mode, why (for {@code auto}), and its stages in order.
 *
 * @param mode the mode that runs (never {@link Mode#AUTO})
 * @param reason why {@code auto} chose it, or null when the user chose
 * @param stages the stages, first to last
 */
record Plan(Mode mode, String reason, List<TrainingStage> stages) {

  Plan {
    Objects.requireNonNull(mode, "mode");
    stages = List.copyOf(stages);
    if (stages.isEmpty()) {
      throw new IllegalArgumentException("a plan has at least one stage: " + mode);
    }
  }

  /** @return every stage run in order, each from the previous one's result */
  Trained train(TrainingRun run) throws KilnException, UserProblemException {
    Trained trained = null;
    for (TrainingStage stage : stages) {
      trained = stage.run(run, trained);
    }
    return trained;
  }
}
