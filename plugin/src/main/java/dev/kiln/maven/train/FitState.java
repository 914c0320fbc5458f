package dev.kiln.maven.train;

import org.deeplearning4j.nn.graph.ComputationGraph;

/** What {@link EpochListener}s see of a running {@link FitLoop} and how they stop it. */
final class FitState {

  private final ComputationGraph graph;
  private final Inputs validation;
  private final int epochs;
  private long startNanos = System.nanoTime();
  private double startLoss = Double.NaN;
  private String stopReason;

  FitState(ComputationGraph graph, Inputs validation, int epochs) {
    this.graph = graph;
    this.validation = validation;
    this.epochs = epochs;
  }

  /** @return the graph being trained (its parameters are the latest epoch's) */
  ComputationGraph graph() {
    return graph;
  }

  /** @return the maximum number of epochs */
  int epochs() {
    return epochs;
  }

  /** Starts the clock of {@link #elapsedMillis()} (after the listeners' own start). */
  void startClock() {
    startNanos = System.nanoTime();
  }

  /** @return milliseconds since the loop started */
  long elapsedMillis() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /** @return the validation loss of the parameters before the first epoch (measured once) */
  double startLoss() {
    if (Double.isNaN(startLoss)) {
      startLoss = Metrics.crossEntropy(FitLoop.output(graph, validation), validation.labels());
    }
    return startLoss;
  }

  /** Asks the loop to stop after this epoch. */
  void stop(String reason) {
    if (stopReason == null) {
      stopReason = reason;
    }
  }

  /** @return why a listener stopped the loop, or null */
  String stopReason() {
    return stopReason;
  }
}
