package dev.kiln.maven.train;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * What a stage trained.
 *
 * @param graph the trained graph, best epoch's parameters
 * @param history per-epoch metrics
 * @param bestEpoch 1-based epoch whose parameters were kept (0: the parameters it started from)
 */
record FitResult(ComputationGraph graph, List<EpochStats> history, int bestEpoch) {

  FitResult {
    history = List.copyOf(history);
  }
}
