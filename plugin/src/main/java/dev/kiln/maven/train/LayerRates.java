package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import java.util.Locale;
import java.util.function.DoubleFunction;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Discriminative learning rates (fastai's {@code slice(lr/10, lr)}): the new head (and its hidden
 * layer) learns at one rate, the pretrained blocks below it at another, lower one, so the
 * features ImageNet taught move less than the head that was fitted to them.
 *
 * @param head the head's rate
 * @param blocks the pretrained blocks' rate
 */
record LayerRates(double head, double blocks) {

  LayerRates {
    if (!(head > 0) || !(blocks > 0) || Double.isInfinite(head) || Double.isInfinite(blocks)) {
      throw new IllegalArgumentException("learning rates must be positive and finite: head "
          + head + ", blocks " + blocks);
    }
  }

  /** @return every layer at {@code rate} */
  static LayerRates uniform(double rate) {
    return new LayerRates(rate, rate);
  }

  /** @return the head at {@code rate}, the blocks at {@code rate / divisor} */
  static LayerRates discriminative(double rate, double divisor) {
    return new LayerRates(rate, rate / divisor);
  }

  /**
   * Sets every trainable layer's rate, the head's layers at {@link #head}, the others at {@link
   * #blocks}.
   *
   * @param schedule how a layer's rate becomes its schedule (constant, the configured schedule,
   *     the range test's exponential growth)
   */
  void applyTo(ComputationGraph g, DoubleFunction<ISchedule> schedule) {
    for (Layer layer : g.getLayers()) {
      if (layer.numParams() > 0) {
        String name = layer.conf().getLayer().getLayerName();
        g.setLearningRate(name, schedule.apply(isHead(name) ? head : blocks));
      }
    }
  }

  static boolean isHead(String layerName) {
    return Backbone.HEAD.equals(layerName) || Backbone.HIDDEN.equals(layerName);
  }

  @Override
  public String toString() {
    return head == blocks ? String.format(Locale.ROOT, "%.2g", head)
        : String.format(Locale.ROOT, "%.2g for the head, %.2g for the blocks", head, blocks);
  }
}
