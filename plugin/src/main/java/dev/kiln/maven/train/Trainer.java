package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.KilnException;
import java.io.UncheckedIOException;

/**
 * One training run, as a recipe: the {@link ModeSelector} turns the request into a {@link Plan}
 * (the mode, why, its {@link TrainingStage}s); the stages run in a {@link TrainingRun} (the head
 * on frozen features on ONNX Runtime, then perhaps the top blocks or every layer on DL4J, or the
 * whole network from random weights), each in the one {@link FitLoop}; then {@link Packaging}
 * exports the network whole, checks it against DL4J through the runtime, quantises, evaluates
 * and estimates.
 */
public final class Trainer {

  private Trainer() {}

  /**
   * @param backbone the backbone (its pooling and depths)
   * @param cutLayer where it is cut (null: its default)
   * @return the frozen part training runs on ONNX Runtime: raw RGB in, pooled {@code features}
   *     out (kiln-spark's featurizer)
   */
  public static byte[] frozenModel(Backbone backbone, String cutLayer) {
    return FeatureSource.frozenModel(backbone, cutLayer, true);
  }

  /**
   * @param request what to train
   * @param listener progress
   * @return the exported model and its metrics
   * @throws UserProblemException for bad data (e.g. all images of a label unreadable, or any
   *     unreadable image with failOnBadImages) or a parity failure; {@link
   *     dev.kiln.maven.dataset.ChangedPhotosException} when a photo changed while the build read
   *     it (nothing is cached from a read that another read contradicts)
   */
  public static TrainingResult train(TrainingRequest request, ProgressListener listener)
      throws UserProblemException {
    listener.phase("dataset", request.dataset().summary());
    Plan plan = ModeSelector.select(request);
    if (plan.reason() != null) {
      listener.phase("mode", "auto: " + plan.reason());
    }
    try (TrainingRun run = TrainingRun.open(request, listener)) {
      try {
        Trained trained = plan.train(run);
        return Packaging.ship(run, plan, trained);
      } catch (KilnException e) {
        throw new IllegalStateException(e.getMessage(), e);
      } catch (UncheckedIOException e) {
        if (e.getCause() instanceof PhotoReads.ChangedException) { // while streaming images
          run.photos().requireUnchanged();
        }
        throw e;
      }
    }
  }
}
