package dev.kiln.maven.backbone;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes weights by Keras name ({@code conv1/kernel}) as Keras 2 saves a weights file: the root's
 * {@code layer_names}, per layer a group with its {@code weight_names} and the arrays under
 * {@code <layer>/<layer>/<weight>:0}. A separable convolution that Kiln builds as a depthwise layer
 * and a 1×1 convolution {@code <name>_pointwise} (NASNet) is written as Keras' one layer with a
 * {@code depthwise_kernel} and a {@code pointwise_kernel}. {@link KerasWeights} reads such a file
 * back exactly.
 */
final class KerasWeightsWriter {

  private KerasWeightsWriter() {}

  /**
   * @param weights weights by Keras name (layer/weight), in the layers' order
   * @param file the {@code .h5} to write
   */
  static void write(Map<String, WeightTensor> weights, Path file) {
    Map<String, Map<String, WeightTensor>> layers = new LinkedHashMap<>();
    weights.forEach((key, value) -> {
      int slash = key.lastIndexOf('/');
      String layer = key.substring(0, slash);
      String weight = key.substring(slash + 1);
      String separable = layer.endsWith("_pointwise")
          ? layer.substring(0, layer.length() - "_pointwise".length()) : null;
      if (separable != null && weight.equals("kernel")
          && weights.containsKey(separable + "/depthwise_kernel")) {
        layer = separable;
        weight = "pointwise_kernel";
      }
      layers.computeIfAbsent(layer, k -> new LinkedHashMap<>()).put(weight, value);
    });
    try (WritableHdfFile h5 = HdfFile.write(file)) {
      h5.putAttribute("layer_names", layers.keySet().toArray(new String[0]));
      layers.forEach((layer, ws) -> {
        WritableGroup g = h5.putGroup(layer);
        List<String> names = new ArrayList<>();
        WritableGroup inner = g.putGroup(layer);
        ws.forEach((weight, t) -> {
          names.add(layer + "/" + weight + ":0");
          inner.putDataset(weight + ":0", nested(t));
        });
        g.putAttribute("weight_names", names.toArray(new String[0]));
      });
    }
  }

  /** @return the tensor as a Java array of its rank ({@code float[][][][]} for a kernel) */
  private static Object nested(WeightTensor t) {
    int[] dims = new int[t.shape().length];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = Math.toIntExact(t.shape()[i]);
    }
    if (dims.length == 0) {
      return new float[] {t.data()[0]};
    }
    Object array = Array.newInstance(float.class, dims);
    fill(array, t.data(), new int[] {0});
    return array;
  }

  private static void fill(Object array, float[] data, int[] pos) {
    if (array instanceof float[] f) {
      System.arraycopy(data, pos[0], f, 0, f.length);
      pos[0] += f.length;
    } else {
      for (int i = 0; i < Array.getLength(array); i++) {
        fill(Array.get(array, i), data, pos);
      }
    }
  }
}
