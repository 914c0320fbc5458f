package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.Arrays;
import java.util.Locale;

/**
 * What the families share: width multipliers and ids (MobileNets), the two input normalisations
 * ([-1, 1]; caffe's BGR minus the ImageNet mean), checks of fine-tune units.
 */
final class FamilyParts {

  private FamilyParts() {}

  /**
   * @param family e.g. {@code MobileNetV2}
   * @param alpha the width multiplier
   * @param valid the multipliers the family publishes
   * @throws IllegalArgumentException listing the valid ones
   */
  static void checkAlpha(String family, double alpha, double... valid) {
    if (Arrays.stream(valid).noneMatch(v -> v == alpha)) {
      throw new IllegalArgumentException(family + " alpha must be one of "
          + Arrays.toString(valid).replaceAll("[\\[\\]]", "") + "; was " + alpha);
    }
  }

  /** @return e.g. {@code mobilenet_v2_0.5} for prefix {@code mobilenet_v2_} */
  static String id(String prefix, double alpha) {
    return prefix + String.format(Locale.ROOT, "%.2f", alpha).replaceAll("0$", "");
  }

  /** @return the MobileNets' normalisation: RGB scaled to [-1, 1], NCHW */
  static Preprocessing normalization(int size) {
    return Preprocessing.minusOneToOne(size, Preprocessing.Layout.NCHW);
  }

  /** @return caffe preprocessing: BGR, the ImageNet mean subtracted, no scaling (NCHW) */
  static Preprocessing caffe(int size) {
    return new Preprocessing(size, size, Preprocessing.Resize.CENTER_CROP,
        Preprocessing.ChannelOrder.BGR, Preprocessing.Layout.NCHW, 1f,
        new float[] {103.939f, 116.779f, 123.68f}, new float[] {1f, 1f, 1f});
  }

  /**
   * A BatchNorm with no convolution before it to fold into (DenseNet's pre-activation BatchNorm,
   * one after a concatenation), in the folded form: the per-channel affine {@code x·s + t} with
   * {@code s = γ/√(var+ε)}, {@code t = β − μ·s} — its statistics frozen as pretrained — written as
   * a 1×1 depthwise convolution with bias, which trains, exports and quantizes like the folded
   * convolutions. {@link KerasWeightLoader} fills it from the BatchNorm's weights of the same
   * name.
   *
   * @param name the BatchNorm's Keras name
   * @param channels its channels
   * @return the layer
   */
  static org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D frozenBatchNorm(String name,
      int channels) {
    return new org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D.Builder(1, 1)
        .name(name).nIn(channels).nOut(channels).depthMultiplier(1).hasBias(true)
        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build();
  }

  /**
   * @param family e.g. {@code MobileNetV2}
   * @param min the smallest size the publisher trained at
   * @param max the largest
   * @param size the input size asked for
   * @throws IllegalArgumentException naming the sizes the family takes
   */
  static void checkInputSize(String family, int min, int max, int size) {
    if (size < min || size > max) {
      throw new IllegalArgumentException(family + " takes inputs from " + min + " to " + max
          + " pixels");
    }
  }

  /** @throws IllegalArgumentException unless 1 ≤ topUnits ≤ blocks */
  static void checkUnits(String family, int blocks, int topUnits) {
    if (topUnits < 1 || topUnits > blocks) {
      throw new IllegalArgumentException(family + " has " + blocks
          + " blocks; fine-tune between 1 and " + blocks + ", was " + topUnits);
    }
  }

  /**
   * Renames layers whose names Keras generated ({@code conv2d}, {@code conv2d_1} …) by their
   * rank: the layer with the k-th smallest number (no number counts as 0) becomes {@code base}
   * for k = 0 and {@code base_k} after. Keras 1 and 2.0-2.2 number from 1, tf.keras from none,
   * and a model built after others in one session from higher numbers; all map to the names
   * tf.keras gives a fresh model. Idempotent.
   *
   * @param weights weights by {@code layer/weight}
   * @param bases the generated bases, e.g. {@code conv2d}
   * @return the weights, renamed
   */
  static java.util.Map<String, WeightTensor> rankedByPosition(
      java.util.Map<String, WeightTensor> weights, String... bases) {
    java.util.Map<String, String> layers = new java.util.HashMap<>();
    for (String base : bases) {
      java.util.regex.Pattern p = java.util.regex.Pattern.compile(
          java.util.regex.Pattern.quote(base) + "(?:_(\\d+))?");
      java.util.TreeMap<Integer, String> numbered = new java.util.TreeMap<>();
      for (String key : weights.keySet()) {
        String layer = key.substring(0, Math.max(0, key.indexOf('/')));
        java.util.regex.Matcher m = p.matcher(layer);
        if (m.matches()) {
          numbered.put(m.group(1) == null ? 0 : Integer.parseInt(m.group(1)), layer);
        }
      }
      int rank = 0;
      for (String layer : numbered.values()) {
        layers.put(layer, rank == 0 ? base : base + "_" + rank);
        rank++;
      }
    }
    java.util.Map<String, WeightTensor> out = new java.util.LinkedHashMap<>();
    weights.forEach((key, value) -> {
      int slash = key.indexOf('/');
      String layer = slash < 0 ? key : key.substring(0, slash);
      out.put(layers.containsKey(layer) ? layers.get(layer) + key.substring(slash) : key, value);
    });
    return out;
  }
}
