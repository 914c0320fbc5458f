package dev.kiln.maven.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Off-heap batch arrays reused from batch to batch, one per shape. ND4J frees an array's
 * native memory only when the garbage collector collects its Java object, and a training loop
 * makes little Java garbage: fresh arrays per batch made resident memory grow with the number
 * of batches (about 16 KB per batch of head features, megabytes per batch of images).
 */
final class ReusedArrays {
  private final java.util.Map<java.util.List<Long>, INDArray> arrays = new java.util.HashMap<>();

  /** @return a float array of that shape, the same one on every call with that shape */
  INDArray get(long... shape) {
    return arrays.computeIfAbsent(java.util.Arrays.stream(shape).boxed().toList(),
        k -> Nd4j.create(DataType.FLOAT, shape));
  }

  /** @return the rows {@code idx} of {@code source}, copied into a reused array */
  INDArray rows(INDArray source, int[] idx) {
    INDArray dest = get(idx.length, source.size(1));
    return Nd4j.pullRows(source, dest, 1, idx);
  }
}
