package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * DenseNet121/169/201 (Huang et al. 2017) with tf.keras layer names: the stem {@code
 * conv1_conv} (7×7/2, no bias), {@code conv1_bn}, {@code conv1_relu}, {@code pool1} (3×3/2 max);
 * dense blocks {@code conv2}..{@code conv5} of 6, 12, (24 | 32 | 48), (16 | 32 | 32) layers, each
 * {@code convK_blockI_0_bn} → {@code _0_relu} → {@code _1_conv} (1×1, 128) → {@code _1_bn} →
 * {@code _1_relu} → {@code _2_conv} (3×3, 32, "same") → {@code _concat} (the layer's input and its
 * 32 new channels); transitions {@code poolK_bn} → {@code _relu} → {@code _conv} (1×1, half the
 * channels) → {@code _pool} (2×2/2 average); last {@code bn}, {@code relu}. The weight files of
 * Keras 2.1 name the stem {@code conv1/conv}, {@code conv1/bn}: {@link KerasWeights} reaches them
 * by either name. No convolution has a bias; BatchNorm ε 1.001e-5.
 *
 * <p>The BatchNorms that precede a convolution after a concatenation (pre-activation: each
 * layer's {@code _0_bn}, each transition's {@code _bn}, the last {@code bn}) have no convolution
 * to fold into: in trainable form they are {@link FamilyParts#frozenBatchNorm} affines. Only
 * {@code conv1_bn} and each {@code _1_bn} fold into the convolution before them.
 *
 * <p>Preprocessing "torch": RGB scaled to [0, 1], the ImageNet mean subtracted, divided by its
 * standard deviation (done inside the exported graph). Units for {@code fine-tune}: the dense
 * blocks and the transitions, 7 in all (the last dense block with the final BatchNorm).
 *
 * @param depth 121, 169 or 201
 */
public record DenseNet(int depth) implements Architecture {

  private static final int GROWTH = 32;

  /** The depth of {@link #reduced()}. */
  static final int REDUCED = 21;

  public DenseNet {
    if (depth != 121 && depth != 169 && depth != 201 && depth != REDUCED) {
      throw new IllegalArgumentException("DenseNet depth must be 121, 169 or 201; was " + depth);
    }
  }

  /**
   * @return a DenseNet of reduced depth, not a published one: the same stem, four dense blocks
   *     of 2 layers and three transitions (every kind of layer, in a fraction of the time), for
   *     tests
   */
  static DenseNet reduced() {
    return new DenseNet(REDUCED);
  }

  /** @return the layers in dense blocks conv2..conv5 */
  private int[] blocks() {
    return switch (depth) {
      case 121 -> new int[] {6, 12, 24, 16};
      case 169 -> new int[] {6, 12, 32, 32};
      case REDUCED -> new int[] {2, 2, 2, 2};
      default -> new int[] {6, 12, 48, 32};
    };
  }

  @Override
  public String id() {
    return depth == REDUCED ? "densenet" + depth + "_reduced" : "densenet" + depth;
  }

  @Override
  public Preprocessing normalization(int size) {
    return Preprocessing.imagenet(size);
  }

  @Override
  public double batchNormEpsilon() {
    return 1.001e-5;
  }

  /** Only the stem's and each layer's 1×1 convolution have a BatchNorm after them to fold. */
  @Override
  public String batchNormOf(String conv) {
    if (conv.equals("conv1_conv") || conv.endsWith("_1_conv")) {
      return conv.substring(0, conv.length() - "_conv".length()) + "_bn";
    }
    return conv + "_no_bn";
  }

  /** @return the output of dense block {@code k} (0..3): its last concatenation */
  private String blockEnd(int k) {
    return "conv" + (k + 2) + "_block" + blocks()[k] + "_concat";
  }

  /** @return the output of the transition after dense block {@code k} (0..2) */
  private static String transitionEnd(int k) {
    return "pool" + (k + 2) + "_pool";
  }

  /**
   * The units, input to output: dense block 0, transition 0, …, transition 2, dense block 3
   * with the last BatchNorm. {@code unitEnds().get(u)} is where unit {@code u} ends.
   */
  private List<String> unitEnds() {
    List<String> ends = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      ends.add(blockEnd(k));
      ends.add(transitionEnd(k));
    }
    ends.add("relu");
    return ends;
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>(List.of("conv1_relu", "pool1"));
    names.addAll(unitEnds());
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> blockOutputs() {
    return unitEnds();
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException(name() + " has no layer '" + cutAt + "'; valid: "
          + featureLayers());
    }
    b.addLayer("zero_padding2d", new ZeroPaddingLayer.Builder(3, 3, 3, 3).build(), input);
    String last = conv(b, "conv1_conv", "zero_padding2d", 3, 64, 7, 2, folded);
    if (!folded) {
      last = batchNorm(b, "conv1_bn", last, 64);
    }
    b.addLayer("conv1_relu", relu(), last);
    if (cutAt.equals("conv1_relu")) {
      return 64;
    }
    b.addLayer("zero_padding2d_1", new ZeroPaddingLayer.Builder(1, 1, 1, 1).build(),
        "conv1_relu");
    b.addLayer("pool1", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
        .kernelSize(3, 3).stride(2, 2).convolutionMode(ConvolutionMode.Truncate).build(),
        "zero_padding2d_1");
    if (cutAt.equals("pool1")) {
      return 64;
    }
    return addUnits(b, "pool1", 0, cutAt, folded);
  }

  /** @return the channels entering unit {@code u} */
  private int channelsBefore(int unit) {
    int channels = 64;
    for (int u = 0; u < unit; u++) {
      channels = u % 2 == 0 ? channels + GROWTH * blocks()[u / 2] : channels / 2;
    }
    return channels;
  }

  /** Units {@code from}..6, stopping at {@code cutAt}. */
  private int addUnits(GraphBuilder b, String input, int from, String cutAt, boolean folded) {
    String last = input;
    int channels = channelsBefore(from);
    List<String> ends = unitEnds();
    for (int u = from; u < ends.size(); u++) {
      if (u % 2 == 0) {
        String block = "conv" + (u / 2 + 2);
        for (int i = 1; i <= blocks()[u / 2]; i++) {
          last = layer(b, block + "_block" + i, last, channels, folded);
          channels += GROWTH;
        }
        if (u == ends.size() - 1) {
          b.addLayer("relu", relu(), preActivation(b, "bn", last, channels, folded));
          last = "relu";
        }
      } else {
        String p = "pool" + (u / 2 + 2);
        b.addLayer(p + "_relu", relu(), preActivation(b, p + "_bn", last, channels, folded));
        conv(b, p + "_conv", p + "_relu", channels, channels / 2, 1, 1, false);
        channels /= 2;
        b.addLayer(p + "_pool", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG)
            .kernelSize(2, 2).stride(2, 2).convolutionMode(ConvolutionMode.Truncate).build(),
            p + "_conv");
        last = p + "_pool";
      }
      if (cutAt.equals(ends.get(u))) {
        return channels;
      }
    }
    return channels;
  }

  /** One dense layer: BN, ReLU, 1×1 conv, BN, ReLU, 3×3 conv, concatenated to its input. */
  private String layer(GraphBuilder b, String n, String input, int channels, boolean folded) {
    b.addLayer(n + "_0_relu", relu(), preActivation(b, n + "_0_bn", input, channels, folded));
    String x = conv(b, n + "_1_conv", n + "_0_relu", channels, 4 * GROWTH, 1, 1, folded);
    if (!folded) {
      x = batchNorm(b, n + "_1_bn", x, 4 * GROWTH);
    }
    b.addLayer(n + "_1_relu", relu(), x);
    conv(b, n + "_2_conv", n + "_1_relu", 4 * GROWTH, GROWTH, 3, 1, false);
    b.addVertex(n + "_concat", new MergeVertex(), input, n + "_2_conv");
    return n + "_concat";
  }

  /** A BatchNorm with no convolution before it: a frozen affine in trainable form. */
  private String preActivation(GraphBuilder b, String name, String input, int channels,
      boolean folded) {
    if (folded) {
      b.addLayer(name, FamilyParts.frozenBatchNorm(name, channels), input);
      return name;
    }
    return batchNorm(b, name, input, channels);
  }

  private String batchNorm(GraphBuilder b, String name, String input, int channels) {
    b.addLayer(name, new BatchNormalization.Builder().nIn(channels).nOut(channels)
        .eps(batchNormEpsilon()).useLogStd(false).activation(Activation.IDENTITY).build(), input);
    return name;
  }

  /** A convolution; biased when its BatchNorm is folded into it. */
  private static String conv(GraphBuilder b, String name, String input, int in, int out, int k,
      int stride, boolean biased) {
    b.addLayer(name, new ConvolutionLayer.Builder(k, k).stride(stride, stride).nIn(in).nOut(out)
        .hasBias(biased)
        .convolutionMode(k == 3 ? ConvolutionMode.Same : ConvolutionMode.Truncate)
        .activation(Activation.IDENTITY).build(), input);
    return name;
  }

  private static ActivationLayer relu() {
    return new ActivationLayer.Builder().activation(Activation.RELU).build();
  }

  private String name() {
    return "DenseNet" + depth;
  }

  @Override
  public int trainableUnits() {
    return unitEnds().size();
  }

  @Override
  public String cutBefore(int topUnits) {
    FamilyParts.checkUnits(name(), trainableUnits(), topUnits);
    int first = trainableUnits() - topUnits;
    return first == 0 ? "pool1" : unitEnds().get(first - 1);
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    FamilyParts.checkUnits(name(), trainableUnits(), topUnits);
    return addUnits(b, input, trainableUnits() - topUnits, lastFeatureLayer(), true);
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException(name() + " has no layer '" + cut + "'");
    }
    long size = (inputSize + 6 - 7) / 2 + 1;
    if (index == 0) {
      return new long[] {64, size, size};
    }
    size = (size + 2 - 3) / 2 + 1;
    int unit = index - 1; // units 0..unit-1 done
    for (int u = 1; u < unit; u += 2) {
      size /= 2;
    }
    return new long[] {channelsBefore(unit), size, size};
  }
}
