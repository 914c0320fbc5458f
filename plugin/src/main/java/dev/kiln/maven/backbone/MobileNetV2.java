package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.nd4j.linalg.activations.Activation;

/**
 * MobileNetV2 (Sandler et al. 2018) with the layer names of the keras-applications 1.0.x weight
 * files ({@code Conv1}, {@code bn_Conv1}, {@code mobl0_conv_0_depthwise}, {@code
 * bn0_conv_0_bn_depthwise}, …, {@code mobl16_conv_16_project}, {@code Conv_1}, {@code Conv_1_bn},
 * {@code out_relu}; today's tf.keras names are mapped to them, {@link #named}): inverted residual blocks (1×1 expand ×6, ReLU6; 3×3 depthwise, ReLU6; 1×1
 * linear projection; residual Add when the stride is 1 and the width stays). Stride-2
 * convolutions use "same" padding, which on the even sizes of 224 px inputs equals Keras'
 * explicit ((0,1),(0,1)) zero padding. BatchNorm ε 1e-3.
 *
 * @param alpha the width multiplier (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
 */
public record MobileNetV2(double alpha) implements Architecture {

  /** (output filters at α=1, stride, expansion) of blocks 0..16. */
  private static final int[][] BLOCKS = {
      {16, 1, 1}, {24, 2, 6}, {24, 1, 6}, {32, 2, 6}, {32, 1, 6}, {32, 1, 6}, {64, 2, 6},
      {64, 1, 6}, {64, 1, 6}, {64, 1, 6}, {96, 1, 6}, {96, 1, 6}, {96, 1, 6}, {160, 2, 6},
      {160, 1, 6}, {160, 1, 6}, {320, 1, 6}};

  public MobileNetV2 {
    FamilyParts.checkAlpha("MobileNetV2", alpha, 0.35, 0.5, 0.75, 1.0, 1.3, 1.4);
  }

  @Override
  public String id() {
    return FamilyParts.id("mobilenet_v2_", alpha);
  }

  /** Keras publishes weights for 96 to 224 pixels. */
  @Override
  public void checkInputSize(int size) {
    FamilyParts.checkInputSize("MobileNetV2", 96, 224, size);
  }

  @Override
  public Preprocessing normalization(int size) {
    return FamilyParts.normalization(size);
  }

  /** Keras' {@code _make_divisible(v, 8)}. */
  static int divisible(double v) {
    int n = Math.max(8, (int) (v + 4) / 8 * 8);
    return n < 0.9 * v ? n + 8 : n;
  }

  private int out(int block) {
    return divisible(BLOCKS[block][0] * alpha);
  }

  private int in(int block) {
    return block == 0 ? divisible(32 * alpha) : out(block - 1);
  }

  private static boolean residual(int block) {
    return BLOCKS[block][1] == 1 && block > 0 && BLOCKS[block][0] == BLOCKS[block - 1][0];
  }

  /** @return the output of block {@code i}: the residual Add, or the projection's BatchNorm */
  static String blockOutput(int i) {
    return residual(i) ? "res_connect_" + i : "bn" + i + "_conv_" + i + "_bn_project";
  }

  private int lastFilters() {
    return alpha > 1.0 ? divisible(1280 * alpha) : 1280;
  }

  @Override
  public String batchNormOf(String conv) {
    if (conv.equals("Conv1")) {
      return "bn_Conv1";
    }
    if (conv.equals("Conv_1")) {
      return "Conv_1_bn";
    }
    // mobl{i}_conv_{i}_{part} → bn{i}_conv_{i}_bn_{part}
    int underscore = conv.indexOf('_');
    String i = conv.substring(4, underscore);
    String part = conv.substring(conv.lastIndexOf('_') + 1);
    return "bn" + i + "_conv_" + i + "_bn_" + part;
  }

  /** Today's tf.keras names: {@code expanded_conv_depthwise}, {@code block_1_expand_BN} … */
  private static final java.util.regex.Pattern TF_KERAS = java.util.regex.Pattern.compile(
      "(?:expanded_conv|block_(\\d+))_(expand|depthwise|project)(_BN)?(/.*)");

  /**
   * The weights under the keras-applications 1.0.x names Kiln builds: today's tf.keras names
   * ({@code block_5_expand} → {@code mobl5_conv_5_expand}, {@code block_5_expand_BN} → {@code
   * bn5_conv_5_bn_expand}, {@code expanded_conv_…} is block 0) are mapped; others pass unchanged.
   */
  @Override
  public java.util.Map<String, WeightTensor> named(java.util.Map<String, WeightTensor> weights) {
    java.util.Map<String, WeightTensor> out = new java.util.LinkedHashMap<>();
    weights.forEach((key, value) -> out.put(oldName(key), value));
    return out;
  }

  /** @return a weight's keras-applications 1.0.x key, e.g. {@code mobl1_conv_1_expand/kernel} */
  static String oldName(String key) {
    java.util.regex.Matcher m = TF_KERAS.matcher(key);
    if (!m.matches()) {
      return key;
    }
    String i = m.group(1) == null ? "0" : m.group(1);
    return (m.group(3) == null ? "mobl" + i + "_conv_" + i + "_" + m.group(2)
        : "bn" + i + "_conv_" + i + "_bn_" + m.group(2)) + m.group(4);
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>(List.of("Conv1_relu"));
    for (int i = 0; i < BLOCKS.length; i++) {
      names.add(blockOutput(i));
    }
    names.add("out_relu");
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> blockOutputs() {
    return featureLayers().subList(1, featureLayers().size());
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException("MobileNetV2 has no layer '" + cutAt + "'; valid: "
          + featureLayers());
    }
    int channels = divisible(32 * alpha);
    String last = conv(b, "Conv1", input, 3, channels, 3, 2, folded, "Conv1_relu");
    if (cutAt.equals(last)) {
      return channels;
    }
    return addBlocks(b, last, 0, cutAt, folded);
  }

  /** Blocks {@code from}..16 and the last 1×1 convolution, stopping at {@code cutAt}. */
  private int addBlocks(GraphBuilder b, String input, int from, String cutAt, boolean folded) {
    String last = input;
    int channels = in(from);
    for (int i = from; i < BLOCKS.length; i++) {
      String blockIn = last;
      String p = "mobl" + i + "_conv_" + i + "_";
      int expanded = channels * BLOCKS[i][2];
      if (BLOCKS[i][2] != 1) {
        last = conv(b, p + "expand", last, channels, expanded, 1, 1, folded, "conv_" + i + "_relu");
      }
      last = depthwise(b, p + "depthwise", last, expanded, BLOCKS[i][1], folded,
          "conv_dw_" + i + "_relu");
      last = conv(b, p + "project", last, expanded, out(i), 1, 1, folded, null);
      if (residual(i)) {
        b.addVertex("res_connect_" + i, new ElementWiseVertex(ElementWiseVertex.Op.Add), blockIn,
            last);
        last = "res_connect_" + i;
      }
      channels = out(i);
      if (cutAt.equals(last)) {
        return channels;
      }
    }
    conv(b, "Conv_1", last, channels, lastFilters(), 1, 1, folded, "out_relu");
    return lastFilters();
  }

  /**
   * A convolution (no bias; or, folded, biased with its BatchNorm folded in), its BatchNorm, and
   * a ReLU6 named {@code relu} (none when null: the linear projection).
   *
   * @return the last layer's name
   */
  private String conv(GraphBuilder b, String name, String input, int in, int out, int k,
      int stride, boolean folded, String relu) {
    b.addLayer(name, new ConvolutionLayer.Builder(k, k).stride(stride, stride).nIn(in).nOut(out)
        .hasBias(folded).convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY)
        .build(), input);
    return bnRelu(b, name, out, folded, relu);
  }

  private String depthwise(GraphBuilder b, String name, String input, int channels, int stride,
      boolean folded, String relu) {
    b.addLayer(name, new DepthwiseConvolution2D.Builder(3, 3).stride(stride, stride)
        .nIn(channels).nOut(channels).depthMultiplier(1).hasBias(folded)
        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), input);
    return bnRelu(b, name, channels, folded, relu);
  }

  private String bnRelu(GraphBuilder b, String conv, int channels, boolean folded, String relu) {
    String last = conv;
    if (!folded) {
      String bn = batchNormOf(conv);
      b.addLayer(bn, new BatchNormalization.Builder().nIn(channels).nOut(channels).eps(1e-3)
          .useLogStd(false).activation(Activation.IDENTITY).build(), conv);
      last = bn;
    }
    if (relu != null) {
      b.addLayer(relu, new ActivationLayer.Builder().activation(Activation.RELU6).build(), last);
      last = relu;
    }
    return last;
  }

  @Override
  public int trainableUnits() {
    return BLOCKS.length;
  }

  @Override
  public String cutBefore(int topUnits) {
    checkUnits(topUnits);
    int first = BLOCKS.length - topUnits;
    return first == 0 ? "Conv1_relu" : blockOutput(first - 1);
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    checkUnits(topUnits);
    return addBlocks(b, input, BLOCKS.length - topUnits, lastFeatureLayer(), true);
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException("MobileNetV2 has no layer '" + cut + "'");
    }
    long size = (inputSize + 1) / 2;
    int channels = divisible(32 * alpha);
    for (int i = 0; i < Math.min(index, BLOCKS.length); i++) {
      size = (size + BLOCKS[i][1] - 1) / BLOCKS[i][1];
      channels = out(i);
    }
    if (index == featureLayers().size() - 1) {
      channels = lastFilters();
    }
    return new long[] {channels, size, size};
  }

  private void checkUnits(int topUnits) {
    FamilyParts.checkUnits("MobileNetV2", BLOCKS.length, topUnits);
  }
}
