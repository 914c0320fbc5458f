package dev.kiln.maven.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Examples a graph is trained or evaluated on: in memory (feature rows, feature maps) or
 * streamed (images decoded per batch).
 */
abstract class Inputs {
  private final int[] labels;

  /** @param labels label index per example */
  Inputs(int[] labels) {
    this.labels = labels.clone();
  }

  /** @return number of examples */
  final int size() {
    return labels.length;
  }

  /** @return label index per example */
  final int[] labels() {
    return labels.clone();
  }

  /**
   * @param idx example indices
   * @param epoch 1-based training epoch, 0 for evaluation (no augmentation)
   * @return the graph input for those examples
   */
  abstract INDArray batch(int[] idx, int epoch);
}
