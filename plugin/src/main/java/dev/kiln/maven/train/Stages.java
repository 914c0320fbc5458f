package dev.kiln.maven.train;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;

/** What the stages after the head share: moving parameters by name, joining histories. */
final class Stages {

  private Stages() {}

  /** Copies every parameter of {@code from}'s layers into {@code to}'s layers of the same name. */
  static void copyParameters(ComputationGraph from, ComputationGraph to) {
    for (Layer layer : from.getLayers()) {
      if (layer.numParams() > 0) {
        // per parameter: a flat setParams mis-orders DepthwiseConvolution2D's W and b
        Layer target = to.getLayer(layer.conf().getLayer().getLayerName());
        layer.paramTable().forEach((key, value) -> target.getParam(key).assign(value));
      }
    }
  }

  /** @return the head's history, then the later stage's; best epoch counted over both */
  static FitResult combine(FitResult head, FitResult tuned, ComputationGraph full,
      ProgressListener listener) {
    List<EpochStats> history = new ArrayList<>(head.history());
    history.addAll(tuned.history());
    int best = tuned.bestEpoch() == 0 ? head.bestEpoch()
        : head.history().size() + tuned.bestEpoch();
    listener.debug("second stage best epoch " + tuned.bestEpoch() + " (0 = the head alone)");
    return new FitResult(full, history, best);
  }
}
