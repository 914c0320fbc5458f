package dev.kiln.maven.train;

import dev.kiln.maven.dataset.LabelledImage;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * What the stages so far trained, handed from one {@link TrainingStage} to the next and then to
 * {@link Packaging}.
 *
 * @param full the whole network for export, or null while only a head on frozen features exists
 * @param result history (head first, then any later stage's) and the best epoch overall; its
 *     graph is the head's, or the whole network's after a later stage
 * @param trainPhotos the readable training photos
 * @param val the readable validation photos (parity check and evaluation)
 * @param heldOut which validation photos chose the epoch and which the estimate is measured on
 * @param linear the L-BFGS head's strength search (null for an Adam head and for scratch)
 * @param validationTrainedOn true when the shipped head also learnt from the validation photos
 * @param classWeights the per-label loss weights the head trained with, or null
 * @param variant the run of the candidate that won {@code auto}'s search (its backbone and
 *     settings are the shipped model's), or null: the run itself
 * @param candidates {@code auto}'s leaderboard, or null without a search
 * @param unusual the photos unlike the rest in the frozen features, or null when not looked for
 */
record Trained(ComputationGraph full, FitResult result, List<LabelledImage> trainPhotos,
    FeatureSource.Features val, HeldOut heldOut, LinearHead.Selected linear,
    boolean validationTrainedOn, double[] classWeights, TrainingRun variant,
    List<TrainingResult.Candidate> candidates,
    List<dev.kiln.maven.suspects.UnusualPhoto> unusual) {

  Trained(ComputationGraph full, FitResult result, List<LabelledImage> trainPhotos,
      FeatureSource.Features val, HeldOut heldOut, LinearHead.Selected linear,
      boolean validationTrainedOn, double[] classWeights,
      List<dev.kiln.maven.suspects.UnusualPhoto> unusual) {
    this(full, result, trainPhotos, val, heldOut, linear, validationTrainedOn, classWeights,
        null, null, unusual);
  }

  /** @return this with a later stage's whole network and combined history */
  Trained after(ComputationGraph network, FitResult combined) {
    return new Trained(network, combined, trainPhotos, val, heldOut, linear, false,
        classWeights, variant, candidates, unusual);
  }

  /** @return this as the winner of a search: its run, its (re-measured) head, the leaderboard */
  Trained chosen(TrainingRun run, LinearHead.Selected head,
      List<TrainingResult.Candidate> board) {
    return new Trained(full, result, trainPhotos, val, heldOut, head, validationTrainedOn,
        classWeights, run, board, unusual);
  }
}
