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
}
