package dev.kiln.maven.train;

/**
 * The stopping rule of the epoch loop: only a real improvement resets the patience: an epoch's
 * validation loss must be below the best so far by more than {@value #RELATIVE_DELTA} of it (and
 * by more than {@value #ABSOLUTE_DELTA}). A loss that creeps down by 1e-4 per epoch therefore
 * stops after {@code patience} epochs instead of running every epoch. (Which epoch is kept is
 * {@link BestEpoch}'s: the lowest loss, real improvement or not.)
 */
final class EarlyStopping implements EpochListener {

  /** A real improvement is more than this fraction of the best loss so far. */
  static final double RELATIVE_DELTA = 1e-3;
  /** ... and at least this much in absolute terms (for losses near 0). */
  static final double ABSOLUTE_DELTA = 1e-6;

  private final int patience;
  private final boolean startCompetes;
  private final ProgressListener progress;
  private double bestLoss;
  private int bestEpoch;
  private int lastImprovement;

  /**
   * @param patience epochs without a real improvement before stopping (at least 1)
   * @param startLoss the loss before the first epoch (its parameters compete as epoch 0), or
   *     {@code Double.POSITIVE_INFINITY} when they do not
   */
  EarlyStopping(int patience, double startLoss) {
    this(patience, false, ProgressListener.NONE);
    this.bestLoss = startLoss;
  }

  /**
   * @param patience epochs without a real improvement before stopping (at least 1)
   * @param startCompetes the loss before the first epoch is the first to beat
   * @param progress where the stop is reported (debug)
   */
  EarlyStopping(int patience, boolean startCompetes, ProgressListener progress) {
    if (patience < 1) {
      throw new IllegalArgumentException("patience must be at least 1: " + patience);
    }
    this.patience = patience;
    this.startCompetes = startCompetes;
    this.progress = progress;
    this.bestLoss = Double.POSITIVE_INFINITY;
  }

  @Override
  public void started(FitState state) {
    if (startCompetes) {
      bestLoss = state.startLoss();
    }
  }

  @Override
  public void epochEnded(FitState state, EpochStats stats) {
    record(stats.epoch(), stats.valLoss());
    if (shouldStop(stats.epoch())) {
      progress.debug("early stop at epoch " + stats.epoch() + ": validation loss has not"
          + " improved by more than " + RELATIVE_DELTA * 100 + "% since epoch "
          + lastImprovement + "; best epoch " + bestEpoch);
      state.stop("early stopping");
    }
  }

  /**
   * Records an epoch's validation loss.
   *
   * @return true when it is the lowest loss so far
   */
  boolean record(int epoch, double loss) {
    boolean real = Double.isInfinite(bestLoss) ? loss < bestLoss
        : loss < bestLoss - Math.max(ABSOLUTE_DELTA, RELATIVE_DELTA * Math.abs(bestLoss));
    if (real) {
      lastImprovement = epoch;
    }
    if (loss < bestLoss) {
      bestLoss = loss;
      bestEpoch = epoch;
      return true;
    }
    return false;
  }

  /** @return true when {@code patience} epochs passed since the last real improvement */
  boolean shouldStop(int epoch) {
    return epoch - lastImprovement >= patience;
  }

  /** @return the epoch with the lowest loss (0: the starting parameters) */
  int bestEpoch() {
    return bestEpoch;
  }

  /** @return the epoch of the last real improvement (0: none) */
  int lastImprovement() {
    return lastImprovement;
  }
}
