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
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * ResNet50 (He et al. 2015) with keras-applications 2.x layer names ({@code conv1_pad}, {@code
 * conv1_conv}, {@code conv1_bn}, {@code conv1_relu}, {@code pool1_pad}, {@code pool1_pool}, then
 * bottleneck blocks {@code conv2_block1_0_conv} (projection shortcut), {@code _1_conv} (1×1, the
 * stride), {@code _2_conv} (3×3), {@code _3_conv} (1×1, 4× the filters), {@code _add}, {@code
 * _out}; stages conv2..conv5 of 3, 4, 6, 3 blocks). Convolutions have biases; BatchNorm ε
 * 1.001e-5. Caffe preprocessing: BGR, the ImageNet mean subtracted.
 */
public record ResNet50() implements Architecture {

  /** (filters, blocks, first stride) of stages conv2..conv5. */
  private static final int[][] STAGES = {{64, 3, 1}, {128, 4, 2}, {256, 6, 2}, {512, 3, 2}};

  @Override
  public String id() {
    return "resnet50";
  }

  @Override
  public Preprocessing normalization(int size) {
    return FamilyParts.caffe(size);
  }

  @Override
  public double batchNormEpsilon() {
    return 1.001e-5;
  }

  @Override
  public String batchNormOf(String conv) {
    return conv.substring(0, conv.length() - "_conv".length()) + "_bn";
  }

  /** @return the block names in order, e.g. {@code conv2_block1} */
  private static List<String> blocks() {
    List<String> names = new ArrayList<>();
    for (int s = 0; s < STAGES.length; s++) {
      for (int k = 1; k <= STAGES[s][1]; k++) {
        names.add("conv" + (s + 2) + "_block" + k);
      }
    }
    return names;
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>(List.of("conv1_relu", "pool1_pool"));
    blocks().forEach(b -> names.add(b + "_out"));
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> blockOutputs() {
    return featureLayers().subList(2, featureLayers().size());
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException("ResNet50 has no layer '" + cutAt + "'; valid: "
          + featureLayers());
    }
    b.addLayer("conv1_pad", new ZeroPaddingLayer.Builder(3, 3, 3, 3).build(), input);
    String last = conv(b, "conv1_conv", "conv1_pad", 3, 64, 7, 2, folded);
    b.addLayer("conv1_relu", relu(), last);
    if (cutAt.equals("conv1_relu")) {
      return 64;
    }
    b.addLayer("pool1_pad", new ZeroPaddingLayer.Builder(1, 1, 1, 1).build(), "conv1_relu");
    b.addLayer("pool1_pool", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
        .kernelSize(3, 3).stride(2, 2).convolutionMode(ConvolutionMode.Truncate).build(),
        "pool1_pad");
    if (cutAt.equals("pool1_pool")) {
      return 64;
    }
    return addBlocks(b, "pool1_pool", 0, cutAt, folded);
  }

  private int addBlocks(GraphBuilder b, String input, int from, String cutAt, boolean folded) {
    String last = input;
    int index = 0;
    int channels = 64;
    for (int s = 0; s < STAGES.length; s++) {
      int filters = STAGES[s][0];
      for (int k = 1; k <= STAGES[s][1]; k++, index++) {
        int in = channels;
        channels = 4 * filters;
        if (index < from) {
          continue;
        }
        String n = "conv" + (s + 2) + "_block" + k;
        int stride = k == 1 ? STAGES[s][2] : 1;
        String shortcut = last;
        if (k == 1) {
          shortcut = conv(b, n + "_0_conv", last, in, 4 * filters, 1, stride, folded);
        }
        String x = conv(b, n + "_1_conv", last, in, filters, 1, stride, folded);
        b.addLayer(n + "_1_relu", relu(), x);
        x = conv(b, n + "_2_conv", n + "_1_relu", filters, filters, 3, 1, folded);
        b.addLayer(n + "_2_relu", relu(), x);
        x = conv(b, n + "_3_conv", n + "_2_relu", filters, 4 * filters, 1, 1, folded);
        b.addVertex(n + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), shortcut, x);
        b.addLayer(n + "_out", relu(), n + "_add");
        last = n + "_out";
        if (cutAt.equals(last)) {
          return channels;
        }
      }
    }
    return channels;
  }

  /** A biased convolution, then its BatchNorm (folded into it in trainable form). */
  private String conv(GraphBuilder b, String name, String input, int in, int out, int k,
      int stride, boolean folded) {
    b.addLayer(name, new ConvolutionLayer.Builder(k, k).stride(stride, stride).nIn(in).nOut(out)
        .convolutionMode(k == 3 ? ConvolutionMode.Same : ConvolutionMode.Truncate)
        .activation(Activation.IDENTITY).build(), input);
    if (folded) {
      return name;
    }
    String bn = batchNormOf(name);
    b.addLayer(bn, new BatchNormalization.Builder().nIn(out).nOut(out).eps(batchNormEpsilon())
        .useLogStd(false).activation(Activation.IDENTITY).build(), name);
    return bn;
  }

  private static ActivationLayer relu() {
    return new ActivationLayer.Builder().activation(Activation.RELU).build();
  }

  @Override
  public int trainableUnits() {
    return blocks().size();
  }

  @Override
  public String cutBefore(int topUnits) {
    FamilyParts.checkUnits("ResNet50", blocks().size(), topUnits);
    int first = blocks().size() - topUnits;
    return first == 0 ? "pool1_pool" : blocks().get(first - 1) + "_out";
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    FamilyParts.checkUnits("ResNet50", blocks().size(), topUnits);
    return addBlocks(b, input, blocks().size() - topUnits, lastFeatureLayer(), true);
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException("ResNet50 has no layer '" + cut + "'");
    }
    long size = (inputSize + 6 - 7) / 2 + 1;
    if (index == 0) {
      return new long[] {64, size, size};
    }
    size = (size + 2 - 3) / 2 + 1;
    int channels = 64;
    int block = 0;
    for (int s = 0; s < STAGES.length; s++) {
      for (int k = 1; k <= STAGES[s][1]; k++) {
        if (block + 2 > index) {
          return new long[] {channels, size, size};
        }
        if (k == 1 && STAGES[s][2] == 2) {
          size = (size - 1) / 2 + 1;
        }
        channels = 4 * STAGES[s][0];
        block++;
      }
    }
    return new long[] {channels, size, size};
  }
}
