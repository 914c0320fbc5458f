package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.dataset.Dataset;
import java.util.Arrays;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * Per-label loss weights for imbalanced labels ({@code balanceClasses}): "balanced" weights
 * {@code n / (K · count_k)} once the largest label has {@value #IMBALANCE}× the smallest's photos.
 */
final class ClassWeights {

  /** Imbalance at which balanced class weights are applied (largest / smallest label). */
  static final double IMBALANCE = 1.5;

  private ClassWeights() {}

  /**
   * @param balance {@code balanceClasses}
   * @param labels label per training example
   * @return the weights, or null when not balancing or the labels are balanced enough
   */
  static double[] choose(boolean balance, int[] labels, Dataset data,
      ProgressListener listener) {
    if (!balance) {
      return null;
    }
    int[] counts = data.counts(labels);
    int min = Arrays.stream(counts).min().orElse(0);
    int max = Arrays.stream(counts).max().orElse(0);
    if (min == 0 || max < IMBALANCE * min) {
      return null;
    }
    double[] w = balanced(labels, counts.length);
    listener.phase("training", "labels are imbalanced (" + max + " vs " + min
        + " images): loss weighted per label " + Arrays.toString(
            Arrays.stream(w).map(v -> Math.round(v * 1000) / 1000.0).toArray()));
    return w;
  }

  /**
   * "Balanced" class weights: {@code n / (K · count_k)}, so every label contributes equally to
   * the loss however many images it has.
   *
   * @param labels label index per training image
   * @param classes number of labels
   * @return one weight per label
   */
  static double[] balanced(int[] labels, int classes) {
    int[] counts = new int[classes];
    for (int l : labels) {
      counts[l]++;
    }
    double[] w = new double[classes];
    for (int k = 0; k < classes; k++) {
      w[k] = counts[k] == 0 ? 0 : labels.length / (double) (classes * counts[k]);
    }
    return w;
  }

  /** @return cross-entropy weighted per label, or plain for null weights */
  static LossMCXENT loss(double[] classWeights) {
    return classWeights == null ? new LossMCXENT()
        : new LossMCXENT(Nd4j.create(classWeights).castTo(DataType.FLOAT));
  }

  /**
   * Weights the cross-entropy of a built graph's softmax head per label (for graphs built
   * elsewhere, e.g. the whole network in modes full and scratch).
   *
   * @param g a graph whose output layer is {@link Backbone#HEAD}
   * @param classWeights one weight per label, or null to leave the loss as it is
   */
  static void weighLoss(ComputationGraph g, double[] classWeights) {
    if (classWeights == null) {
      return;
    }
    var layer = (org.deeplearning4j.nn.conf.layers.BaseOutputLayer) g.getLayer(Backbone.HEAD)
        .conf().getLayer();
    layer.setLossFn(loss(classWeights));
  }
}
