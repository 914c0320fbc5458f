package dev.kiln.maven.train;

/**
 * Something that takes part in {@link FitLoop}'s epochs, as DJL's {@code TrainingListener}
 * does: keeping the best epoch's parameters, stopping early, reporting progress, holding a time
 * limit. Listeners are called in the order given, after every epoch's metrics are measured.
 */
interface EpochListener {

  /** The loop is about to run its first epoch. */
  default void started(FitState state) {}

  /**
   * @param state the loop (its graph, the request to stop)
   * @param stats the epoch's metrics, both sides measured in inference mode
   */
  void epochEnded(FitState state, EpochStats stats);

  /** The loop ended (all epochs run, or a listener stopped it). */
  default void finished(FitState state) {}
}
