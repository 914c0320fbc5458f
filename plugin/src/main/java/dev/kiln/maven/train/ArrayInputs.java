package dev.kiln.maven.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Examples held as one array, one row per example, reshaped to {@code sampleShape} (null:
 * flat rows). Batches are copied into reused arrays: valid until the next call.
 */
final class ArrayInputs extends Inputs {
  private final INDArray x;
  private final long[] sampleShape;
  private final ReusedArrays reused = new ReusedArrays();

  ArrayInputs(INDArray x, long[] sampleShape, int[] labels) {
    super(labels);
    this.x = x;
    this.sampleShape = sampleShape;
  }

  @Override
  INDArray batch(int[] idx, int epoch) {
    INDArray rows = reused.rows(x, idx);
    return sampleShape == null ? rows
        : rows.reshape('c', rows.size(0), sampleShape[0], sampleShape[1], sampleShape[2]);
  }

  boolean flat() {
    return sampleShape == null;
  }

  INDArray all() {
    return x;
  }
}
