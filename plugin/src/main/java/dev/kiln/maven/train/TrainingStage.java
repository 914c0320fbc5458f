package dev.kiln.maven.train;

import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.KilnException;

/**
 * One step of a training {@link Plan}: the head on frozen features, then optionally fine-tuning
 * the top blocks or every layer; or training from random weights. A mode is a list of stages
 * ({@link ModeSelector}); each starts from what the previous one trained.
 */
sealed interface TrainingStage
    permits HeadStage, FineTuneStage, FullStage, ScratchStage, SearchStage {

  /**
   * @param run the run's photos, backbone, pool, features and progress
   * @param previous what the stages before trained, or null for the first
   * @return what is trained after this stage
   */
  Trained run(TrainingRun run, Trained previous) throws KilnException, UserProblemException;
}
