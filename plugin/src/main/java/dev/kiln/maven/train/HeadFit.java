package dev.kiln.maven.train;

/**
 * How the new head is fitted on frozen features: softmax regression by L-BFGS with its strength
 * chosen by cross-validation ({@link LinearHead}), or a DL4J head by Adam epochs ({@link
 * AdamHead}). Both leave a DL4J head graph with the same layer names, which the later stages
 * and the export take as they take any head.
 */
sealed interface HeadFit permits LinearHead, AdamHead {

  /**
   * What a head is fitted on.
   *
   * @param train feature rows (augmented copies after their photos, sharing their paths)
   * @param mirrored the rows' mirror-image features when the model flips at test time, or null
   * @param selection the validation rows that choose the epoch
   * @param classes labels
   * @param classWeights per-label loss weights, or null
   */
  record Data(FeatureSource.Features train, float[][] mirrored,
      FeatureSource.Features selection, int classes, double[] classWeights) {}

  /**
   * @param head the head graph, its history and kept epoch
   * @param linear the L-BFGS strength search and its estimate, or null for an Adam head
   */
  record Fitted(FitResult head, LinearHead.Selected linear) {}

  /** @return the head fitted on {@code data} */
  Fitted fit(Data data, ProgressListener listener);

  /** @return true when it scores photos with their mirror images' features too */
  boolean usesMirrors();

  /** @return how long it trains, for the log line (empty when it has no epochs) */
  String epochsNote();
}
