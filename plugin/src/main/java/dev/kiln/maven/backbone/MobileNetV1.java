package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.nd4j.linalg.activations.Activation;

/**
 * MobileNet v1 (Howard et al. 2017) with keras-applications layer names ({@code conv1},
 * {@code conv1_bn}, {@code conv1_relu}, {@code conv_dw_N}, {@code conv_dw_N_bn}, ...,
 * {@code conv_pw_13_relu}). Width multiplier α ∈ {0.25, 0.5, 0.75, 1.0}; inputs from 128 to 224.
 * Convolutions use "same" padding, which for stride 2 on even sizes equals Keras' explicit
 * (0,1) zero padding.
 *
 * @param alpha the width multiplier
 */
public record MobileNetV1(double alpha) implements Architecture {

  /** (pointwise filters at α=1, depthwise stride) for blocks 1..13. */
  private static final int[][] BLOCKS = {
      {64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
      {512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};

  public MobileNetV1 {
    FamilyParts.checkAlpha("MobileNet v1", alpha, 0.25, 0.5, 0.75, 1.0);
  }

  @Override
  public String id() {
    return FamilyParts.id("mobilenet_v1_", alpha);
  }

  /** Keras publishes weights for 128 to 224 pixels. */
  @Override
  public void checkInputSize(int size) {
    FamilyParts.checkInputSize("MobileNet v1", 128, 224, size);
  }

  @Override
  public Preprocessing normalization(int size) {
    return FamilyParts.normalization(size);
  }

  int filters(int base) {
    return (int) (base * alpha);
  }

  @Override
  public List<String> blockOutputs() {
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= BLOCKS.length; i++) {
      names.add("conv_pw_" + i + "_relu");
    }
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>(List.of("conv1_relu"));
    for (int i = 1; i <= BLOCKS.length; i++) {
      names.add("conv_dw_" + i + "_relu");
      names.add("conv_pw_" + i + "_relu");
    }
    return Collections.unmodifiableList(names);
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException("MobileNet v1 has no layer '" + cutAt + "'; valid: "
          + featureLayers());
    }
    int channels = filters(32);
    b.addLayer("conv1", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nIn(3).nOut(channels)
        .hasBias(folded).convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY)
        .build(), input);
    String last = folded ? relu(b, "conv1") : bnRelu(b, "conv1", channels);
    if (cutAt.equals(last)) {
      return channels;
    }
    return addBlocks(b, last, channels, 1, cutAt, folded);
  }

  /**
   * Adds blocks {@code from}..13 after {@code input} (which has {@code channels} channels),
   * stopping at {@code cutAt}.
   *
   * @param folded true for the trainable form: each BatchNorm folded into a biased convolution
   *     (its statistics frozen, i.e. inference mode), no {@code _bn} layers
   * @return channels of the last added layer
   */
  private int addBlocks(GraphBuilder b, String input, int channels, int from, String cutAt,
      boolean folded) {
    String last = input;
    for (int i = from - 1; i < BLOCKS.length; i++) {
      int block = i + 1;
      String dw = "conv_dw_" + block;
      b.addLayer(dw, new DepthwiseConvolution2D.Builder(3, 3).stride(BLOCKS[i][1], BLOCKS[i][1])
          .nIn(channels).nOut(channels).depthMultiplier(1).hasBias(folded)
          .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), last);
      last = folded ? relu(b, dw) : bnRelu(b, dw, channels);
      if (stop(cutAt, dw)) {
        return channels;
      }
      int out = filters(BLOCKS[i][0]);
      String pw = "conv_pw_" + block;
      b.addLayer(pw, new ConvolutionLayer.Builder(1, 1).nIn(channels).nOut(out).hasBias(folded)
          .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), last);
      channels = out;
      last = folded ? relu(b, pw) : bnRelu(b, pw, channels);
      if (stop(cutAt, pw)) {
        return channels;
      }
    }
    return channels;
  }

  @Override
  public int trainableUnits() {
    return BLOCKS.length;
  }

  @Override
  public String cutBefore(int topUnits) {
    checkUnits(topUnits);
    int first = BLOCKS.length - topUnits + 1;
    return first == 1 ? "conv1_relu" : "conv_pw_" + (first - 1) + "_relu";
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    checkUnits(topUnits);
    int first = BLOCKS.length - topUnits + 1;
    int channels = first == 1 ? filters(32) : filters(BLOCKS[first - 2][0]);
    return addBlocks(b, input, channels, first, lastFeatureLayer(), true);
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException("MobileNet v1 has no layer '" + cut + "'");
    }
    long size = (inputSize + 1) / 2;
    int channels = filters(32);
    // featureLayers: conv1_relu, then dw_k, pw_k for k = 1..13
    for (int i = 1; i <= index; i++) {
      int block = (i + 1) / 2;
      if (i % 2 == 1) {
        int stride = BLOCKS[block - 1][1];
        size = (size + stride - 1) / stride;
      } else {
        channels = filters(BLOCKS[block - 1][0]);
      }
    }
    return new long[] {channels, size, size};
  }

  private void checkUnits(int topUnits) {
    FamilyParts.checkUnits("MobileNet v1", BLOCKS.length, topUnits);
  }

  private static String relu(GraphBuilder b, String conv) {
    b.addLayer(conv + "_relu", new ActivationLayer.Builder().activation(Activation.RELU6).build(),
        conv);
    return conv + "_relu";
  }

  private boolean stop(String cutAt, String layer) {
    return cutAt.equals(layer + "_relu");
  }

  private static String bnRelu(GraphBuilder b, String conv, int channels) {
    b.addLayer(conv + "_bn", new BatchNormalization.Builder().nIn(channels).nOut(channels)
        .eps(1e-3).useLogStd(false).activation(Activation.IDENTITY).build(), conv);
    b.addLayer(conv + "_relu", new ActivationLayer.Builder().activation(Activation.RELU6).build(),
        conv + "_bn");
    return conv + "_relu";
  }
}
