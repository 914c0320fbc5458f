package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * InceptionV3 (Szegedy et al. 2015) as keras-applications builds it: a stem of five
 * convolutions and two max pools, then the blocks {@code mixed0} … {@code mixed10}
 * (concatenations of parallel branches: 1×1, 5×5, double 3×3 and 3×3-average-pool branches in
 * mixed0-2; factorised 1×7/7×1 branches in mixed4-7; the reduction blocks mixed3 and mixed8; the
 * split 1×3/3×1 branches of mixed9-10). Every convolution is Keras' {@code conv2d_bn}: no bias,
 * BatchNorm with {@code scale=False} (no γ; ε 1e-3), ReLU.
 *
 * <p>Keras names none of those layers, so their names are generated in creation order: today's
 * tf.keras {@code conv2d}, {@code conv2d_1} … {@code conv2d_93}, {@code batch_normalization} …,
 * {@code activation} …, {@code average_pooling2d} …, {@code max_pooling2d} …, {@code
 * concatenate}, {@code concatenate_1}; Keras 1 and 2.0-2.2 count from 1 ({@code conv2d_1} …
 * {@code conv2d_94}). Kiln builds today's names and maps a file's by position ({@link #named}).
 *
 * <p>In the frozen (unfolded) form a BatchNorm without γ is DL4J's BatchNormalization with γ
 * and β locked to 1 and 0 (its mean and variance as parameters) after a biased convolution whose
 * bias holds {@code β·√(var+ε)}: the same function, and the same parameter count as Keras'
 * (21,802,784 without the top). Trained from scratch that BatchNorm learns no shift of its own
 * (batch statistics cancel the bias): the ReLU after it sees a centred input. Preprocessing: RGB
 * scaled to [-1, 1] ({@code x/127.5 − 1}, Keras' "tf" mode), inside the exported graph.
 */
public record InceptionV3() implements Architecture {

  /** The blocks' output names, input to output. */
  private static final List<String> BLOCKS = List.of("mixed0", "mixed1", "mixed2", "mixed3",
      "mixed4", "mixed5", "mixed6", "mixed7", "mixed8", "mixed9", "mixed10");
  /** Per block: convolutions, average pools, max pools, unnamed concatenations it creates. */
  private static final int[][] CREATES = {{7, 1, 0, 0}, {7, 1, 0, 0}, {7, 1, 0, 0},
      {4, 0, 1, 0}, {10, 1, 0, 0}, {10, 1, 0, 0}, {10, 1, 0, 0}, {10, 1, 0, 0}, {6, 0, 1, 0},
      {9, 1, 0, 1}, {9, 1, 0, 1}};
  /** Output channels of each block. */
  private static final int[] CHANNELS = {256, 288, 288, 768, 768, 768, 768, 768, 1280, 2048,
      2048};
  /** The stem's last layer: where fine-tuning every block starts. */
  static final String STEM = "max_pooling2d_1";
  /** Convolutions in the whole network. */
  static final int CONVOLUTIONS = 94;

  @Override
  public String id() {
    return "inception_v3";
  }

  @Override
  public Preprocessing normalization(int size) {
    return FamilyParts.normalization(size);
  }

  /** Keras takes inputs of 75 pixels and more (mixed8 is then 1×1). */
  @Override
  public void checkInputSize(int size) {
    FamilyParts.checkInputSize("InceptionV3", 75, 512, size);
  }

  @Override
  public int smallestInput() {
    return 75;
  }

  @Override
  public String batchNormOf(String conv) {
    return "batch_normalization" + conv.substring("conv2d".length());
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>(List.of(STEM));
    names.addAll(BLOCKS);
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> blockOutputs() {
    return BLOCKS;
  }

  /** Keras' generated name: {@code base} for the first of its kind, then {@code base_1} … */
  static String generated(String base, int index) {
    return index == 0 ? base : base + "_" + index;
  }

  /**
   * The weights under today's generated names: a file's {@code conv2d_N} and {@code
   * batch_normalization_N} layers ranked by N (Keras 1 and 2.0-2.2 count from 1, tf.keras from
   * none), so that the k-th created layer is named as Kiln builds it. Other names pass unchanged.
   */
  @Override
  public Map<String, WeightTensor> named(Map<String, WeightTensor> weights) {
    return FamilyParts.rankedByPosition(weights, "conv2d", "batch_normalization");
  }

  /** Names of the layers created so far, as Keras counts them. */
  private static final class Counter {
    int conv;
    int avg;
    int max;
    int concat;

    Counter(int fromBlock) {
      conv = 5;
      max = 2;
      for (int i = 0; i < fromBlock; i++) {
        conv += CREATES[i][0];
        avg += CREATES[i][1];
        max += CREATES[i][2];
        concat += CREATES[i][3];
      }
    }
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException("InceptionV3 has no layer '" + cutAt + "'; valid: "
          + featureLayers());
    }
    Counter n = new Counter(0);
    n.conv = 0;
    n.max = 0;
    String x = cbr(b, n, input, 3, 32, 3, 3, 2, false, folded);
    x = cbr(b, n, x, 32, 32, 3, 3, 1, false, folded);
    x = cbr(b, n, x, 32, 64, 3, 3, 1, true, folded);
    x = maxPool(b, n, x);
    x = cbr(b, n, x, 64, 80, 1, 1, 1, false, folded);
    x = cbr(b, n, x, 80, 192, 3, 3, 1, false, folded);
    x = maxPool(b, n, x);
    if (cutAt.equals(STEM)) {
      return 192;
    }
    return addBlocks(b, x, 0, cutAt, folded);
  }

  private int addBlocks(GraphBuilder b, String input, int from, String cutAt, boolean folded) {
    Counter n = new Counter(from);
    String x = input;
    for (int i = from; i < BLOCKS.size(); i++) {
      int in = i == 0 ? 192 : CHANNELS[i - 1];
      String name = BLOCKS.get(i);
      switch (i) {
        case 0, 1, 2 -> blockA(b, n, x, in, i == 0 ? 32 : 64, name, folded);
        case 3 -> blockB(b, n, x, in, name, folded);
        case 4, 5, 6, 7 -> blockC(b, n, x, in, new int[] {128, 160, 160, 192}[i - 4], name,
            folded);
        case 8 -> blockD(b, n, x, in, name, folded);
        default -> blockE(b, n, x, in, i - 9, name, folded);
      }
      x = name;
      if (name.equals(cutAt)) {
        return CHANNELS[i];
      }
    }
    return CHANNELS[CHANNELS.length - 1];
  }

  /** mixed0-2: 1×1, 5×5, double 3×3, average pool + 1×1. */
  private void blockA(GraphBuilder b, Counter n, String x, int in, int pool, String name,
      boolean folded) {
    String b1 = cbr(b, n, x, in, 64, 1, 1, 1, true, folded);
    String b5 = cbr(b, n, x, in, 48, 1, 1, 1, true, folded);
    b5 = cbr(b, n, b5, 48, 64, 5, 5, 1, true, folded);
    String b3 = cbr(b, n, x, in, 64, 1, 1, 1, true, folded);
    b3 = cbr(b, n, b3, 64, 96, 3, 3, 1, true, folded);
    b3 = cbr(b, n, b3, 96, 96, 3, 3, 1, true, folded);
    String bp = cbr(b, n, avgPool(b, n, x), in, pool, 1, 1, 1, true, folded);
    b.addVertex(name, new MergeVertex(), b1, b5, b3, bp);
  }

  /** mixed3: stride-2 3×3, double 3×3 ending in stride 2, max pool. */
  private void blockB(GraphBuilder b, Counter n, String x, int in, String name,
      boolean folded) {
    String b3 = cbr(b, n, x, in, 384, 3, 3, 2, false, folded);
    String bd = cbr(b, n, x, in, 64, 1, 1, 1, true, folded);
    bd = cbr(b, n, bd, 64, 96, 3, 3, 1, true, folded);
    bd = cbr(b, n, bd, 96, 96, 3, 3, 2, false, folded);
    b.addVertex(name, new MergeVertex(), b3, bd, maxPool(b, n, x));
  }

  /** mixed4-7: 1×1, 1×7-7×1, double 7×1-1×7, average pool + 1×1; {@code c} inner filters. */
  private void blockC(GraphBuilder b, Counter n, String x, int in, int c, String name,
      boolean folded) {
    String b1 = cbr(b, n, x, in, 192, 1, 1, 1, true, folded);
    String b7 = cbr(b, n, x, in, c, 1, 1, 1, true, folded);
    b7 = cbr(b, n, b7, c, c, 1, 7, 1, true, folded);
    b7 = cbr(b, n, b7, c, 192, 7, 1, 1, true, folded);
    String bd = cbr(b, n, x, in, c, 1, 1, 1, true, folded);
    bd = cbr(b, n, bd, c, c, 7, 1, 1, true, folded);
    bd = cbr(b, n, bd, c, c, 1, 7, 1, true, folded);
    bd = cbr(b, n, bd, c, c, 7, 1, 1, true, folded);
    bd = cbr(b, n, bd, c, 192, 1, 7, 1, true, folded);
    String bp = cbr(b, n, avgPool(b, n, x), in, 192, 1, 1, 1, true, folded);
    b.addVertex(name, new MergeVertex(), b1, b7, bd, bp);
  }

  /** mixed8: 1×1 + stride-2 3×3, 1×1-1×7-7×1 + stride-2 3×3, max pool. */
  private void blockD(GraphBuilder b, Counter n, String x, int in, String name,
      boolean folded) {
    String b3 = cbr(b, n, x, in, 192, 1, 1, 1, true, folded);
    b3 = cbr(b, n, b3, 192, 320, 3, 3, 2, false, folded);
    String b7 = cbr(b, n, x, in, 192, 1, 1, 1, true, folded);
    b7 = cbr(b, n, b7, 192, 192, 1, 7, 1, true, folded);
    b7 = cbr(b, n, b7, 192, 192, 7, 1, 1, true, folded);
    b7 = cbr(b, n, b7, 192, 192, 3, 3, 2, false, folded);
    b.addVertex(name, new MergeVertex(), b3, b7, maxPool(b, n, x));
  }

  /** mixed9-10: 1×1, 1×1 split into 1×3 and 3×1, 1×1-3×3 split so, average pool + 1×1. */
  private void blockE(GraphBuilder b, Counter n, String x, int in, int i, String name,
      boolean folded) {
    String b1 = cbr(b, n, x, in, 320, 1, 1, 1, true, folded);
    String b3 = cbr(b, n, x, in, 384, 1, 1, 1, true, folded);
    String b31 = cbr(b, n, b3, 384, 384, 1, 3, 1, true, folded);
    String b32 = cbr(b, n, b3, 384, 384, 3, 1, 1, true, folded);
    b.addVertex("mixed9_" + i, new MergeVertex(), b31, b32);
    String bd = cbr(b, n, x, in, 448, 1, 1, 1, true, folded);
    bd = cbr(b, n, bd, 448, 384, 3, 3, 1, true, folded);
    String bd1 = cbr(b, n, bd, 384, 384, 1, 3, 1, true, folded);
    String bd2 = cbr(b, n, bd, 384, 384, 3, 1, 1, true, folded);
    String concat = generated("concatenate", n.concat++);
    b.addVertex(concat, new MergeVertex(), bd1, bd2);
    String bp = cbr(b, n, avgPool(b, n, x), in, 192, 1, 1, 1, true, folded);
    b.addVertex(name, new MergeVertex(), b1, "mixed9_" + i, concat, bp);
  }

  /**
   * Keras' {@code conv2d_bn}: a convolution, its BatchNorm (γ-less: locked, the shift in the
   * convolution's bias; folded: gone into the convolution), ReLU.
   *
   * @return the ReLU's name
   */
  private String cbr(GraphBuilder b, Counter n, String input, int in, int out, int kh, int kw,
      int stride, boolean same, boolean folded) {
    String conv = generated("conv2d", n.conv);
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
    String relu = generated("activation", n.conv++);
    b.addLayer(relu, new ActivationLayer.Builder().activation(Activation.RELU).build(), last);
    return relu;
  }

  private static String maxPool(GraphBuilder b, Counter n, String input) {
    String name = generated("max_pooling2d", n.max++);
    b.addLayer(name, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
        .kernelSize(3, 3).stride(2, 2).convolutionMode(ConvolutionMode.Truncate).build(), input);
    return name;
  }

  /** Keras' 3×3 "same" average pool, which divides by the pixels inside the image. */
  private static String avgPool(GraphBuilder b, Counter n, String input) {
    String name = generated("average_pooling2d", n.avg++);
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
    FamilyParts.checkUnits("InceptionV3", BLOCKS.size(), topUnits);
    int first = BLOCKS.size() - topUnits;
    return first == 0 ? STEM : BLOCKS.get(first - 1);
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    FamilyParts.checkUnits("InceptionV3", BLOCKS.size(), topUnits);
    return addBlocks(b, input, BLOCKS.size() - topUnits, lastFeatureLayer(), true);
  }

  /** @return the width of the stem's output (InceptionResNetV2 has the same stem) */
  static long stemSize(int inputSize) {
    long s = (inputSize - 3) / 2 + 1; // stride-2 valid 3×3
    s = s - 2; // valid 3×3
    s = (s - 3) / 2 + 1; // max pool
    s = s - 2; // valid 3×3
    return (s - 3) / 2 + 1; // max pool
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException("InceptionV3 has no layer '" + cut + "'");
    }
    long s = stemSize(inputSize);
    if (index == 0) {
      return new long[] {192, s, s};
    }
    int block = index - 1;
    if (block >= 3) {
      s = (s - 3) / 2 + 1; // mixed3
    }
    if (block >= 8) {
      s = (s - 3) / 2 + 1; // mixed8
    }
    return new long[] {CHANNELS[block], s, s};
  }
}
