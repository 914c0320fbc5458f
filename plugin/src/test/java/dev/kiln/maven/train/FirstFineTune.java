package dev.kiln.maven.train;

import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.KilnException;
import java.util.List;

/**
 * For the benchmarks: mode fine-tune with its first recipe (before issue 22 item 3) — the same
 * head, then the top blocks on cached maps (the plain photos and {@code augmentedCopies} fixed
 * copies), every layer at a hundredth of the head's learning rate, the configured patience.
 */
public final class FirstFineTune {

  private FirstFineTune() {}

  /**
   * @param request a fine-tune request
   * @return the model the first recipe trains, exported and checked as any
   */
  public static TrainingResult train(TrainingRequest request, ProgressListener listener)
      throws UserProblemException {
    Plan plan = ModeSelector.select(request);
    FineTuneStage now = (FineTuneStage) plan.stages().get(1);
    FitSettings fit = FitSettings.of(request.settings());
    Plan first = new Plan(plan.mode(), plan.reason(), List.of(plan.stages().get(0),
        FineTuneStage.fixed(now.blocks(),
            fit.withLearningRate(fit.learningRate() / ModeSelector.DEEPER_RATE_DIVISOR))));
    try (TrainingRun run = TrainingRun.open(request, listener)) {
      return Packaging.ship(run, first, first.train(run));
    } catch (KilnException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }
}
