package dev.kiln.maven.backbone;

import dev.kiln.maven.blocks.ChannelScaleVertex;
import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.ReshapeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.activations.Activation;

/**
 * EfficientNet B0–B7 (Tan and Le 2019) with tf.keras layer names: {@code rescaling} (x/255, done
 * by the preprocessing), {@code normalization} (the in-model Normalization layer, its mean and
 * variance read from the weights file), {@code stem_conv} (3×3/2, no bias), {@code stem_bn},
 * {@code stem_activation}; then MBConv blocks {@code block1a_} … {@code block7d_}: {@code
 * expand_conv}/{@code expand_bn}/{@code expand_activation} (1×1, ×6; none in stage 1), {@code
 * dwconv}/{@code bn}/{@code activation} (3×3 or 5×5 depthwise), squeeze-and-excite {@code
 * se_squeeze} (global average), {@code se_reshape}, {@code se_reduce} (1×1, biased, swish),
 * {@code se_expand} (1×1, biased, sigmoid), {@code se_excite} (the broadcast multiply, {@link
 * ChannelScaleVertex}), {@code project_conv}/{@code project_bn} (1×1, linear), {@code add} when
 * the stride is 1 and the width stays; last {@code top_conv}, {@code top_bn}, {@code
 * top_activation}. Swish everywhere; BatchNorm ε 1e-3. Stride-2 convolutions use "same"
 * padding, which equals Keras' {@code correct_pad} zero padding ({@code stem_conv_pad}, {@code
 * dwconv_pad}) at every size. Drop-connect (Keras' {@code drop} layers, identity in inference) is
 * left out of training.
 *
 * <p>The input: Keras' ImageNet files carry the Normalization's statistics (mean = the ImageNet
 * mean, variance = the ImageNet standard deviation, not its square) and Keras follows it by a
 * constant {@code Rescaling(1/√std)}; Kiln folds that constant into the variance ({@link
 * #graphWeights}), so the {@code normalization} layer (a per-channel affine) computes Keras'
 * two. The parameter count is Keras' less one: the Normalization's sample count, a scalar only
 * {@code adapt()} uses.
 *
 * <p>Units for {@code fine-tune}: the MBConv blocks (16 in B0; the last with {@code top_conv}).
 *
 * @param variant 0 to 7 (B0 … B7)
 */
public record EfficientNet(int variant) implements Architecture {

  /** (kernel, repeats, filters in, filters out, expansion, stride) of stages 1..7 at B0. */
  private static final int[][] STAGES = {
      {3, 1, 32, 16, 1, 1}, {3, 2, 16, 24, 6, 2}, {5, 2, 24, 40, 6, 2}, {3, 3, 40, 80, 6, 2},
      {5, 3, 80, 112, 6, 1}, {5, 4, 112, 192, 6, 2}, {3, 1, 192, 320, 6, 1}};

  /** (width, depth) coefficients and the training size of B0..B7. */
  private static final double[][] SCALING = {{1.0, 1.0, 224}, {1.0, 1.1, 240}, {1.1, 1.2, 260},
      {1.2, 1.4, 300}, {1.4, 1.8, 380}, {1.6, 2.2, 456}, {1.8, 2.6, 528}, {2.0, 3.1, 600}};

  /** The ImageNet standard deviation, RGB: Keras' {@code IMAGENET_STDDEV_RGB}. */
  private static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

  /** The variant of {@link #reduced()}. */
  static final int REDUCED = -1;

  /** Width 0.25, depth 0.5 (10 blocks, 3 residual), the size of a test. */
  private static final double[] REDUCED_SCALING = {0.25, 0.5, 64};

  public EfficientNet {
    if (variant < REDUCED || variant > 7) {
      throw new IllegalArgumentException("EfficientNet variant must be b0 to b7; was b"
          + variant);
    }
  }

  /**
   * @return an EfficientNet of reduced width (0.25) and depth (0.5), not a published one: every
   *     kind of block (expansion or none, 3×3 and 5×5, stride 1 and 2, squeeze-and-excite,
   *     residual) in a fraction of B0's time, for tests
   */
  static EfficientNet reduced() {
    return new EfficientNet(REDUCED);
  }

  private double[] scaling() {
    return variant == REDUCED ? REDUCED_SCALING : SCALING[variant];
  }

  @Override
  public String id() {
    return variant == REDUCED ? "efficientnet_w0.25_d0.5_reduced" : "efficientnetb" + variant;
  }

  private String name() {
    return "EfficientNetB" + variant;
  }

  /** @return the size Keras trained this variant at */
  int defaultSize() {
    return (int) scaling()[2];
  }

  @Override
  public void checkInputSize(int size) {
    FamilyParts.checkInputSize(name(), 32, 600, size);
  }

  /** Rescaling(1/255) only: the Normalization is a layer of the graph. */
  @Override
  public Preprocessing normalization(int size) {
    return new Preprocessing(size, size, Preprocessing.Resize.CENTER_CROP,
        Preprocessing.ChannelOrder.RGB, Preprocessing.Layout.NCHW, 1f / 255f,
        new float[] {0, 0, 0}, new float[] {1, 1, 1});
  }

  /** Keras' {@code round_filters}: the width scaled, a multiple of 8, not 10 % below. */
  int filters(int b0) {
    double f = b0 * scaling()[0];
    int n = Math.max(8, (int) (f + 4) / 8 * 8);
    return n < 0.9 * f ? n + 8 : n;
  }

  private int repeats(int stage) {
    return (int) Math.ceil(scaling()[1] * STAGES[stage][1]);
  }

  /** One MBConv block: its Keras prefix, stage, widths and stride. */
  private record Block(String prefix, int stage, int in, int out, int stride) {}

  private List<Block> blocks() {
    List<Block> blocks = new ArrayList<>();
    for (int s = 0; s < STAGES.length; s++) {
      int out = filters(STAGES[s][3]);
      for (int j = 0; j < repeats(s); j++) {
        blocks.add(new Block("block" + (s + 1) + (char) ('a' + j) + "_", s,
            j == 0 ? filters(STAGES[s][2]) : out, out, j == 0 ? STAGES[s][5] : 1));
      }
    }
    return blocks;
  }

  private static boolean residual(Block b) {
    return b.stride() == 1 && b.in() == b.out();
  }

  private static String output(Block b) {
    return b.prefix() + (residual(b) ? "add" : "project_bn");
  }

  @Override
  public double batchNormEpsilon() {
    return 1e-3;
  }

  @Override
  public String batchNormOf(String conv) {
    if (conv.endsWith("_dwconv")) {
      return conv.substring(0, conv.length() - "dwconv".length()) + "bn";
    }
    if (conv.endsWith("_conv")) {
      return conv.substring(0, conv.length() - "conv".length()) + "bn";
    }
    return conv + "_no_bn"; // se_reduce, se_expand: biased, no BatchNorm
  }

  /**
   * The weights as the graph takes them: Keras' constant {@code Rescaling(1/√std)} after the
   * Normalization folded into its variance ({@code (x − μ)/√v/√std = (x − μ)/√(v·std)}).
   */
  @Override
  public Map<String, WeightTensor> graphWeights(Map<String, WeightTensor> weights) {
    WeightTensor variance = weights.get("normalization/variance");
    if (variance == null || variance.data().length != 3) {
      return weights;
    }
    float[] v = new float[3];
    for (int c = 0; c < 3; c++) {
      v[c] = (float) (variance.data()[c] * IMAGENET_STD[c]);
    }
    Map<String, WeightTensor> w = new LinkedHashMap<>(weights);
    w.put("normalization/variance", new WeightTensor(variance.shape(), v));
    return w;
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>(List.of("stem_activation"));
    blocks().forEach(b -> names.add(output(b)));
    names.add("top_activation");
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> blockOutputs() {
    return featureLayers().subList(1, featureLayers().size());
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException(name() + " has no layer '" + cutAt + "'; valid: "
          + featureLayers());
    }
    b.addLayer("normalization", new DepthwiseConvolution2D.Builder(1, 1).nIn(3).nOut(3)
        .depthMultiplier(1).hasBias(true).activation(Activation.IDENTITY).build(), input);
    int stem = filters(32);
    String last = conv(b, "stem_conv", "normalization", 3, stem, 3, 2, folded, "stem_bn",
        "stem_activation");
    if (cutAt.equals(last)) {
      return stem;
    }
    return addBlocks(b, last, 0, cutAt, folded);
  }

  /** Blocks {@code from}.. and the top convolution, stopping at {@code cutAt}. */
  private int addBlocks(GraphBuilder b, String input, int from, String cutAt, boolean folded) {
    List<Block> blocks = blocks();
    String last = input;
    for (int i = from; i < blocks.size(); i++) {
      Block k = blocks.get(i);
      String p = k.prefix();
      int expansion = STAGES[k.stage()][4];
      int kernel = STAGES[k.stage()][0];
      int expanded = k.in() * expansion;
      String x = last;
      if (expansion != 1) {
        x = conv(b, p + "expand_conv", x, k.in(), expanded, 1, 1, folded, p + "expand_bn",
            p + "expand_activation");
      }
      b.addLayer(p + "dwconv", new DepthwiseConvolution2D.Builder(kernel, kernel)
          .stride(k.stride(), k.stride()).nIn(expanded).nOut(expanded).depthMultiplier(1)
          .hasBias(folded).convolutionMode(ConvolutionMode.Same)
          .activation(Activation.IDENTITY).build(), x);
      x = bnAct(b, p + "dwconv", p + "bn", expanded, folded, p + "activation");
      int squeezed = Math.max(1, k.in() / 4);
      b.addLayer(p + "se_squeeze", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
      b.addVertex(p + "se_reshape", new ReshapeVertex('c', new int[] {-1, expanded, 1, 1}, null),
          p + "se_squeeze");
      b.addLayer(p + "se_reduce", new ConvolutionLayer.Builder(1, 1).nIn(expanded)
          .nOut(squeezed).activation(Activation.SWISH).build(), p + "se_reshape");
      b.addLayer(p + "se_expand", new ConvolutionLayer.Builder(1, 1).nIn(squeezed)
          .nOut(expanded).activation(Activation.SIGMOID).build(), p + "se_reduce");
      b.addVertex(p + "se_excite", new ChannelScaleVertex(), x, p + "se_expand");
      x = conv(b, p + "project_conv", p + "se_excite", expanded, k.out(), 1, 1, folded,
          p + "project_bn", null);
      if (residual(k)) {
        b.addVertex(p + "add", new ElementWiseVertex(ElementWiseVertex.Op.Add), x, last);
        x = p + "add";
      }
      last = x;
      if (cutAt.equals(last)) {
        return k.out();
      }
    }
    int top = filters(1280);
    conv(b, "top_conv", last, blocks.get(blocks.size() - 1).out(), top, 1, 1, folded, "top_bn",
        "top_activation");
    return top;
  }

  /**
   * A convolution (no bias; or, folded, biased with its BatchNorm folded in), its BatchNorm and
   * a swish named {@code act} (none when null: the linear projection).
   *
   * @return the last layer's name
   */
  private String conv(GraphBuilder b, String name, String input, int in, int out, int k,
      int stride, boolean folded, String bn, String act) {
    b.addLayer(name, new ConvolutionLayer.Builder(k, k).stride(stride, stride).nIn(in).nOut(out)
        .hasBias(folded).convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY)
        .build(), input);
    return bnAct(b, name, bn, out, folded, act);
  }

  private String bnAct(GraphBuilder b, String conv, String bn, int channels, boolean folded,
      String act) {
    String last = conv;
    if (!folded) {
      b.addLayer(bn, new BatchNormalization.Builder().nIn(channels).nOut(channels)
          .eps(batchNormEpsilon()).useLogStd(false).activation(Activation.IDENTITY).build(),
          conv);
      last = bn;
    }
    if (act != null) {
      b.addLayer(act, new ActivationLayer.Builder().activation(Activation.SWISH).build(), last);
      last = act;
    }
    return last;
  }

  @Override
  public int trainableUnits() {
    return blocks().size();
  }

  @Override
  public String cutBefore(int topUnits) {
    FamilyParts.checkUnits(name(), trainableUnits(), topUnits);
    int first = trainableUnits() - topUnits;
    return first == 0 ? "stem_activation" : output(blocks().get(first - 1));
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    FamilyParts.checkUnits(name(), trainableUnits(), topUnits);
    return addBlocks(b, input, trainableUnits() - topUnits, lastFeatureLayer(), true);
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException(name() + " has no layer '" + cut + "'");
    }
    long size = (inputSize + 1) / 2;
    int channels = filters(32);
    List<Block> blocks = blocks();
    for (int i = 0; i < Math.min(index, blocks.size()); i++) {
      Block k = blocks.get(i);
      size = (size + k.stride() - 1) / k.stride();
      channels = k.out();
    }
    if (index == featureLayers().size() - 1) {
      channels = filters(1280);
    }
    return new long[] {channels, size, size};
  }

  /**
   * @param weights Keras weights
   * @return the variant whose stem, top and block names they have
   */
  static java.util.Optional<Architecture> recognise(Map<String, WeightTensor> weights) {
    WeightTensor top = weights.get("top_conv/kernel");
    if (top == null || !weights.containsKey("block1a_dwconv/depthwise_kernel")
        || !weights.containsKey("stem_conv/kernel")) {
      return java.util.Optional.empty();
    }
    for (int v = 0; v < SCALING.length; v++) {
      EfficientNet e = new EfficientNet(v);
      List<Block> blocks = e.blocks();
      String lastBlock = blocks.get(blocks.size() - 1).prefix();
      String next = lastBlock.substring(0, 6) + (char) (lastBlock.charAt(6) + 1) + "_";
      if (e.filters(1280) == top.shape()[3]
          && weights.containsKey(lastBlock + "project_conv/kernel")
          && !weights.containsKey(next + "project_conv/kernel")) {
        return java.util.Optional.of(e);
      }
    }
    throw new IllegalArgumentException("an EfficientNet whose top convolution has "
        + top.shape()[3] + " filters and whose blocks match none of B0 to B7");
  }
}
