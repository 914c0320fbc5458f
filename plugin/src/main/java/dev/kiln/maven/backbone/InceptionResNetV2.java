package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * InceptionResNetV2 (Szegedy et al. 2016) as keras-applications builds it: InceptionV3's stem,
 * {@code mixed_5b}, ten {@code block35} residual blocks (scale 0.17), the reduction {@code
 * mixed_6a}, twenty {@code block17} (scale 0.1), {@code mixed_7a}, ten {@code block8} (scale
 * 0.2; the last with scale 1 and no ReLU), {@code conv_7b} (1×1, 1536). A residual block
 * concatenates its branches ({@code <block>_mixed}), projects them back with a biased 1×1
 * convolution without BatchNorm ({@code <block>_conv}) and adds that, scaled, to its input
 * (Keras' Lambda {@code <block>}: here a {@code ScaleVertex} and an Add, {@code <block>_scaled}
 * and {@code <block>}), then ReLU ({@code <block>_ac}). Every other convolution is {@code
 * conv2d_bn}: no bias, BatchNorm with {@code scale=False} (ε 1e-3, in the unfolded form locked
 * as in {@link InceptionV3}), ReLU; Keras generates their names ({@code conv2d_N}, {@code
 * batch_normalization_N}, mapped by position, see {@link InceptionV3#named}) except {@code
 * conv_7b}/{@code conv_7b_bn}/{@code conv_7b_ac}. Preprocessing: RGB to [-1, 1].
 */
public record InceptionResNetV2() implements Architecture {

  /** Blocks that {@code fine-tune} unfreezes, input to output, with their kind. */
  private static final List<String> BLOCKS = blocks();
  /** Generated (unnamed) convolutions a block creates, by kind. */
  private static final Map<String, Integer> CONVS = Map.of("mixed_5b", 7, "block35", 6,
      "mixed_6a", 4, "block17", 4, "mixed_7a", 7, "block8", 4, "conv_7b", 0);
  /** Convolutions named {@code conv2d…} in the whole network. */
  static final int GENERATED_CONVOLUTIONS = 203;

  private static List<String> blocks() {
    List<String> names = new ArrayList<>(List.of("mixed_5b"));
    for (int i = 1; i <= 10; i++) {
      names.add("block35_" + i);
    }
    names.add("mixed_6a");
    for (int i = 1; i <= 20; i++) {
      names.add("block17_" + i);
    }
    names.add("mixed_7a");
    for (int i = 1; i <= 10; i++) {
      names.add("block8_" + i);
    }
    names.add("conv_7b");
    return List.copyOf(names);
  }

  private static String kind(String block) {
    return block.contains("_") && block.startsWith("block")
        ? block.substring(0, block.indexOf('_')) : block;
  }

  /** @return the layer a block ends in */
  private static String output(String block) {
    return block.equals("block8_10") ? block : block.startsWith("block") || block.equals("conv_7b")
        ? block + "_ac" : block;
  }

  private static int channels(String block) {
    return switch (kind(block)) {
      case "mixed_5b", "block35" -> 320;
      case "mixed_6a", "block17" -> 1088;
      case "mixed_7a", "block8" -> 2080;
      default -> 1536;
    };
  }

  @Override
  public String id() {
    return "inception_resnet_v2";
  }

  @Override
  public Preprocessing normalization(int size) {
    return FamilyParts.normalization(size);
  }

  /** Keras takes inputs of 75 pixels and more (mixed_7a is then 1×1). */
  @Override
  public void checkInputSize(int size) {
    FamilyParts.checkInputSize("InceptionResNetV2", 75, 512, size);
  }

  @Override
  public int smallestInput() {
    return 75;
  }

  @Override
  public String batchNormOf(String conv) {
    return conv.startsWith("conv2d") ? "batch_normalization" + conv.substring("conv2d".length())
        : conv + "_bn";
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>(List.of(InceptionV3.STEM));
    BLOCKS.forEach(b -> names.add(output(b)));
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> blockOutputs() {
    return featureLayers().subList(1, featureLayers().size());
  }

  @Override
  public Map<String, WeightTensor> named(Map<String, WeightTensor> weights) {
    return FamilyParts.rankedByPosition(weights, "conv2d", "batch_normalization");
  }

  /** How many generated names of each kind were used so far. */
  private static final class Counter {
    int conv;
    int avg;
    int max;
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException("InceptionResNetV2 has no layer '" + cutAt
          + "'; valid: " + featureLayers());
    }
    Counter n = new Counter();
    String x = cbr(b, n, input, 3, 32, 3, 3, 2, false, folded);
    x = cbr(b, n, x, 32, 32, 3, 3, 1, false, folded);
    x = cbr(b, n, x, 32, 64, 3, 3, 1, true, folded);
    x = maxPool(b, n, x);
    x = cbr(b, n, x, 64, 80, 1, 1, 1, false, folded);
    x = cbr(b, n, x, 80, 192, 3, 3, 1, false, folded);
    x = maxPool(b, n, x);
    if (cutAt.equals(InceptionV3.STEM)) {
      return 192;
    }
    return addBlocks(b, x, 0, cutAt, folded);
  }

  private int addBlocks(GraphBuilder b, String input, int from, String cutAt, boolean folded) {
    Counter n = new Counter();
    n.conv = 5;
    n.max = 2;
    for (int i = 0; i < from; i++) {
      n.conv += CONVS.get(kind(BLOCKS.get(i)));
      n.avg += BLOCKS.get(i).equals("mixed_5b") ? 1 : 0;
      n.max += BLOCKS.get(i).startsWith("mixed_") && i > 0 ? 1 : 0;
    }
    String x = input;
    for (int i = from; i < BLOCKS.size(); i++) {
      String block = BLOCKS.get(i);
      int in = i == 0 ? 192 : channels(BLOCKS.get(i - 1));
      switch (kind(block)) {
        case "mixed_5b" -> {
          String b0 = cbr(b, n, x, in, 96, 1, 1, 1, true, folded);
          String b1 = cbr(b, n, x, in, 48, 1, 1, 1, true, folded);
          b1 = cbr(b, n, b1, 48, 64, 5, 5, 1, true, folded);
          String b2 = cbr(b, n, x, in, 64, 1, 1, 1, true, folded);
          b2 = cbr(b, n, b2, 64, 96, 3, 3, 1, true, folded);
          b2 = cbr(b, n, b2, 96, 96, 3, 3, 1, true, folded);
          String bp = cbr(b, n, avgPool(b, n, x), in, 64, 1, 1, 1, true, folded);
          b.addVertex(block, new MergeVertex(), b0, b1, b2, bp);
        }
        case "block35" -> {
          String b0 = cbr(b, n, x, in, 32, 1, 1, 1, true, folded);
          String b1 = cbr(b, n, x, in, 32, 1, 1, 1, true, folded);
          b1 = cbr(b, n, b1, 32, 32, 3, 3, 1, true, folded);
          String b2 = cbr(b, n, x, in, 32, 1, 1, 1, true, folded);
          b2 = cbr(b, n, b2, 32, 48, 3, 3, 1, true, folded);
          b2 = cbr(b, n, b2, 48, 64, 3, 3, 1, true, folded);
          residual(b, block, x, 128, in, 0.17, true, b0, b1, b2);
        }
        case "mixed_6a" -> {
          String b0 = cbr(b, n, x, in, 384, 3, 3, 2, false, folded);
          String b1 = cbr(b, n, x, in, 256, 1, 1, 1, true, folded);
          b1 = cbr(b, n, b1, 256, 256, 3, 3, 1, true, folded);
          b1 = cbr(b, n, b1, 256, 384, 3, 3, 2, false, folded);
          b.addVertex(block, new MergeVertex(), b0, b1, maxPool(b, n, x));
        }
        case "block17" -> {
          String b0 = cbr(b, n, x, in, 192, 1, 1, 1, true, folded);
          String b1 = cbr(b, n, x, in, 128, 1, 1, 1, true, folded);
          b1 = cbr(b, n, b1, 128, 160, 1, 7, 1, true, folded);
          b1 = cbr(b, n, b1, 160, 192, 7, 1, 1, true, folded);
          residual(b, block, x, 384, in, 0.1, true, b0, b1);
        }
        case "mixed_7a" -> {
          String b0 = cbr(b, n, x, in, 256, 1, 1, 1, true, folded);
          b0 = cbr(b, n, b0, 256, 384, 3, 3, 2, false, folded);
          String b1 = cbr(b, n, x, in, 256, 1, 1, 1, true, folded);
          b1 = cbr(b, n, b1, 256, 288, 3, 3, 2, false, folded);
          String b2 = cbr(b, n, x, in, 256, 1, 1, 1, true, folded);
          b2 = cbr(b, n, b2, 256, 288, 3, 3, 1, true, folded);
          b2 = cbr(b, n, b2, 288, 320, 3, 3, 2, false, folded);
          b.addVertex(block, new MergeVertex(), b0, b1, b2, maxPool(b, n, x));
        }
        case "block8" -> {
          String b0 = cbr(b, n, x, in, 192, 1, 1, 1, true, folded);
          String b1 = cbr(b, n, x, in, 192, 1, 1, 1, true, folded);
          b1 = cbr(b, n, b1, 192, 224, 1, 3, 1, true, folded);
          b1 = cbr(b, n, b1, 224, 256, 3, 1, 1, true, folded);
          boolean last = block.equals("block8_10");
          residual(b, block, x, 448, in, last ? 1.0 : 0.2, !last, b0, b1);
        }
        default -> convBnRelu(b, "conv_7b", "conv_7b_ac", x, in, 1536, 1, 1, 1, true, folded);
      }
      x = output(block);
      if (x.equals(cutAt)) {
        return channels(block);
      }
    }
    return channels("conv_7b");
  }

  /** Keras' {@code inception_resnet_block} after its branches. */
  private static void residual(GraphBuilder b, String block, String input, int mixed,
      int channels, double scale, boolean relu, String... branches) {
    b.addVertex(block + "_mixed", new MergeVertex(), branches);
    b.addLayer(block + "_conv", new ConvolutionLayer.Builder(1, 1).nIn(mixed).nOut(channels)
        .hasBias(true).convolutionMode(ConvolutionMode.Truncate)
        .activation(Activation.IDENTITY).build(), block + "_mixed");
    b.addVertex(block + "_scaled", new ScaleVertex(scale), block + "_conv");
    b.addVertex(block, new ElementWiseVertex(ElementWiseVertex.Op.Add), input,
        block + "_scaled");
    if (relu) {
      b.addLayer(block + "_ac", new ActivationLayer.Builder().activation(Activation.RELU)
          .build(), block);
    }
  }

  /** {@code conv2d_bn} with generated names. */
  private String cbr(GraphBuilder b, Counter n, String input, int in, int out, int kh, int kw,
      int stride, boolean same, boolean folded) {
    String conv = InceptionV3.generated("conv2d", n.conv);
    String relu = InceptionV3.generated("activation", n.conv++);
    return convBnRelu(b, conv, relu, input, in, out, kh, kw, stride, same, folded);
  }

  private String convBnRelu(GraphBuilder b, String conv, String relu, String input, int in,
      int out, int kh, int kw, int stride, boolean same, boolean folded) {
    b.addLayer(conv, new ConvolutionLayer.Builder(kh, kw).stride(stride, stride).nIn(in)
        .nOut(out).hasBias(true)
        .convolutionMode(same ? ConvolutionMode.Same : ConvolutionMode.Truncate)
        .activation(Activation.IDENTITY).build(), input);
    String last = conv;
    if (!folded) {
      last = batchNormOf(conv);
      b.addLayer(last, new BatchNormalization.Builder().nIn(out).nOut(out)
          .eps(batchNormEpsilon()).lockGammaBeta(true).gamma(1).beta(0).useLogStd(false)
          .activation(Activation.IDENTITY).build(), conv);
    }
    b.addLayer(relu, new ActivationLayer.Builder().activation(Activation.RELU).build(), last);
    return relu;
  }

  private static String maxPool(GraphBuilder b, Counter n, String input) {
    String name = InceptionV3.generated("max_pooling2d", n.max++);
    b.addLayer(name, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
        .kernelSize(3, 3).stride(2, 2).convolutionMode(ConvolutionMode.Truncate).build(), input);
    return name;
  }

  private static String avgPool(GraphBuilder b, Counter n, String input) {
    String name = InceptionV3.generated("average_pooling2d", n.avg++);
    b.addLayer(name, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG)
        .kernelSize(3, 3).stride(1, 1).convolutionMode(ConvolutionMode.Same)
        .avgPoolIncludePadInDivisor(false).build(), input);
    return name;
  }

  @Override
  public int trainableUnits() {
    return BLOCKS.size();
  }

  @Override
  public String cutBefore(int topUnits) {
    FamilyParts.checkUnits("InceptionResNetV2", BLOCKS.size(), topUnits);
    int first = BLOCKS.size() - topUnits;
    return first == 0 ? InceptionV3.STEM : output(BLOCKS.get(first - 1));
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    FamilyParts.checkUnits("InceptionResNetV2", BLOCKS.size(), topUnits);
    return addBlocks(b, input, BLOCKS.size() - topUnits, lastFeatureLayer(), true);
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException("InceptionResNetV2 has no layer '" + cut + "'");
    }
    long s = InceptionV3.stemSize(inputSize);
    if (index == 0) {
      return new long[] {192, s, s};
    }
    int block = index - 1;
    if (block >= BLOCKS.indexOf("mixed_6a")) {
      s = (s - 3) / 2 + 1;
    }
    if (block >= BLOCKS.indexOf("mixed_7a")) {
      s = (s - 3) / 2 + 1;
    }
    return new long[] {channels(BLOCKS.get(block)), s, s};
  }
}
