package dev.kiln.maven.backbone;

import java.util.Arrays;
import java.util.Objects;

/**
 * One named weight array as stored by Keras (row-major, Keras axis order).
 *
 * @param shape dimensions
 * @param data values, row-major
 */
public record WeightTensor(long[] shape, float[] data) {
  public WeightTensor {
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
    }
  }
}
