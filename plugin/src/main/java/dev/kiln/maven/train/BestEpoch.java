package dev.kiln.maven.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Keeps the parameters of the epoch with the lowest validation loss and puts them back into the
 * graph when the loop ends.
 */
final class BestEpoch implements EpochListener {

  private final boolean startCompetes;
  private INDArray best;
  private double bestLoss = Double.POSITIVE_INFINITY;
  private int bestEpoch;

  /**
   * @param startCompetes the parameters before training compete as "epoch 0" (then {@link
   *     #bestEpoch()} is 0 when no epoch beats them)
   */
  BestEpoch(boolean startCompetes) {
    this.startCompetes = startCompetes;
  }

  @Override
  public void started(FitState state) {
    best = state.graph().params().dup();
    if (startCompetes) {
      bestLoss = state.startLoss();
    }
  }

  @Override
  public void epochEnded(FitState state, EpochStats stats) {
    if (stats.valLoss() < bestLoss) {
      bestLoss = stats.valLoss();
      bestEpoch = stats.epoch();
      best = state.graph().params().dup();
    }
  }

  @Override
  public void finished(FitState state) {
    state.graph().setParams(best);
  }

  /** @return the kept epoch (0: the starting parameters) */
  int bestEpoch() {
    return bestEpoch;
  }
}
