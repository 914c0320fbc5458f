package dev.kiln.maven.backbone;

import dev.kiln.maven.problem.UserProblemException;
import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads Keras weights by name ({@code conv1/kernel}, {@code conv_dw_1_bn/moving_mean}, ...) from
 * a keras-applications {@code .h5} file (pure-Java HDF5 via jHDF) or a TensorFlow.js layers model
 * ({@code model.json} + binary shards, read by {@link TfjsWeights}).
 */
public final class KerasWeights {

  private KerasWeights() {}

  /**
   * @param file an {@code .h5} weights file or a TF.js {@code .json} model
   * @return weights by Keras name without the {@code :0} suffix
   * @throws UserProblemException naming the file when it cannot be read
   */
  public static Map<String, WeightTensor> read(Path file) throws UserProblemException {
    return readWeights(file);
  }

  /**
   * @param file a backbone file (weights, TF.js {@code model.json}, ONNX)
   * @return the files its weights are read from: a TF.js model's {@code model.json} and its
   *     shards, otherwise the file itself
   * @throws UserProblemException for a TF.js manifest naming shards Kiln refuses to read
   */
  public static java.util.List<Path> files(Path file) throws UserProblemException {
    return file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".json")
        ? TfjsWeights.files(file) : java.util.List.of(file);
  }

  private static Map<String, WeightTensor> readWeights(Path file) throws UserProblemException {
    if (!Files.isRegularFile(file)) {
      throw new UserProblemException("backbone file " + file + " does not exist");
    }
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (name.endsWith(".json")) {
      return TfjsWeights.read(file);
    }
    try {
      if (name.endsWith(".h5") || name.endsWith(".hdf5") || name.endsWith(".keras")) {
        return readH5(file);
      }
    } catch (RuntimeException e) {
      throw new UserProblemException("cannot read backbone weights from " + file + ": "
          + e.getMessage() + "; is it an unmodified keras-applications .h5 or TF.js model.json?", e);
    }
    throw new UserProblemException("backbone file " + file
        + " has an unknown type; use a Keras .h5 weights file or a TF.js layers model.json");
  }

  static Map<String, WeightTensor> readH5(Path file) {
    Map<String, WeightTensor> out = new LinkedHashMap<>();
    try (HdfFile hdf = new HdfFile(file)) {
      Group root = hdf;
      if (root.getChildren().containsKey("model_weights")) {
        root = (Group) root.getChild("model_weights");
      }
      if (root.getAttribute("layer_names") != null) {
        byLayer(root, out);
      } else {
        collect(root, "", out);
      }
    }
    return out;
  }

  /**
   * Reads a Keras weights file layer by layer, in its {@code layer_names} order, each layer's
   * weights in its {@code weight_names} order. Keys are {@code <layer>/<weight>}: the weight's own
   * last name part in Keras-2 files ({@code conv1/kernel:0}); by position in Keras-1 files, whose
   * weights have generated names ({@code uniform1}, {@code conv1_b}): kernel, then bias.
   */
  private static void byLayer(Group root, Map<String, WeightTensor> out) {
    for (String layer : strings(root.getAttribute("layer_names").getData())) {
      Node node = root.getByPath(layer);
      if (!(node instanceof Group g) || g.getAttribute("weight_names") == null) {
        continue;
      }
      String[] weights = strings(g.getAttribute("weight_names").getData());
      String[] positional = weights.length == 2 ? new String[] {"kernel", "bias"}
          : new String[] {"kernel"};
      for (int i = 0; i < weights.length; i++) {
        String w = stripSuffix(weights[i]);
        String last = w.substring(w.lastIndexOf('/') + 1);
        boolean named = KERAS2_WEIGHTS.contains(last);
        String key = layer + "/" + (named || i >= positional.length ? last : positional[i]);
        Dataset d = (Dataset) g.getByPath(weights[i]);
        WeightTensor t = tensor(d);
        out.put(key, t);
        if (layer.contains("/")) {
          // Keras 2.1 wrote name scopes (DenseNet's conv1/conv, conv1/bn); tf.keras today names
          // those layers conv1_conv, conv1_bn: both names reach the weights
          out.putIfAbsent(layer.replace('/', '_') + key.substring(layer.length()), t);
        }
      }
    }
  }

  /** The weight names Keras 2 gives (files from Keras 1 have generated ones). */
  static final java.util.Set<String> KERAS2_WEIGHTS = java.util.Set.of("kernel", "bias", "gamma",
      "beta", "moving_mean", "moving_variance", "depthwise_kernel", "pointwise_kernel", "mean",
      "variance", "count");

  private static String[] strings(Object data) {
    if (data == null) { // an empty attribute (layers without weights)
      return new String[0];
    }
    if (data instanceof String[] s) {
      return s;
    }
    if (data instanceof String s) {
      return new String[] {s};
    }
    int n = Array.getLength(data);
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      out[i] = String.valueOf(Array.get(data, i));
    }
    return out;
  }

  private static WeightTensor tensor(Dataset d) {
    int[] dims = d.getDimensions();
    long[] shape = new long[dims.length];
    int n = 1;
    for (int i = 0; i < dims.length; i++) {
      shape[i] = dims[i];
      n *= dims[i];
    }
    float[] data = new float[n];
    flatten(d.getData(), data, new int[] {0});
    return new WeightTensor(shape, data);
  }

  private static void collect(Group group, String prefix, Map<String, WeightTensor> out) {
    for (Node child : group.getChildren().values()) {
      String path = prefix.isEmpty() ? child.getName() : prefix + "/" + child.getName();
      if (child instanceof Group g) {
        collect(g, path, out);
      } else if (child instanceof Dataset d) {
        // keras stores /layer/layer/kernel:0 ; the key is the last two parts: layer/kernel
        String[] parts = path.split("/");
        String key = parts.length >= 2 ? parts[parts.length - 2] + "/" + parts[parts.length - 1]
            : parts[0];
        out.put(stripSuffix(key), tensor(d));
      }
    }
  }

  private static void flatten(Object array, float[] out, int[] pos) {
    if (array instanceof float[] f) {
      System.arraycopy(f, 0, out, pos[0], f.length);
      pos[0] += f.length;
    } else if (array instanceof double[] dd) {
      for (double v : dd) {
        out[pos[0]++] = (float) v;
      }
    } else if (array != null && array.getClass().isArray()) {
      int len = Array.getLength(array);
      for (int i = 0; i < len; i++) {
        flatten(Array.get(array, i), out, pos);
      }
    } else if (array instanceof Number num) {
      out[pos[0]++] = num.floatValue();
    }
  }

  static String stripSuffix(String key) {
    int colon = key.lastIndexOf(':');
    return colon > 0 ? key.substring(0, colon) : key;
  }
}
