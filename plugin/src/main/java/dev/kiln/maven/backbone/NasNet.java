package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.nd4j.linalg.activations.Activation;

/**
 * NASNet-A (Zoph et al. 2018) as Keras builds it, with Keras' layer names: {@code stem_conv1}
 * (3×3/2 "valid", no bias), {@code stem_bn1}; reduction cells {@code stem_1}, {@code stem_2};
 * normal cells {@code 0}…; a reduction cell, normal cells, a reduction cell, normal cells; a last
 * ReLU ({@code relu}). A cell reads the two previous cells' outputs; when their sizes differ,
 * {@code adjust_…} layers bring the older one to size (two 1×1 stride-2 paths, the second
 * shifted by a pixel: zero padding then {@code Cropping2D}). {@code SeparableConv2D} layers are
 * a depthwise layer with Keras' name and a 1×1 convolution named {@code <name>_pointwise} (Keras'
 * {@code pointwise_kernel}, see {@link #graphWeights}). Reduction cells pad with Keras' {@code
 * correct_pad} before their "valid" poolings, so the padding depends on the parity of the size;
 * "same" average poolings leave the padding out of the average, as TensorFlow does. BatchNorm ε
 * 1e-3; preprocessing [-1, 1].
 *
 * <p>Cells have two inputs, so the network splits into single-tensor parts only after the stem:
 * {@code fine-tune} has one unit, every cell.
 *
 * @param penultimateFilters the channels of the last cell (NASNetMobile: 1056)
 * @param blocks normal cells per stage (NASNetMobile: 4)
 * @param stemFilters the stem's filters (NASNetMobile: 32)
 */
public record NasNet(int penultimateFilters, int blocks, int stemFilters)
    implements Architecture {

  public NasNet {
    if (penultimateFilters % 96 != 0 || blocks < 1 || stemFilters < 1) {
      throw new IllegalArgumentException("NASNet needs penultimate filters a multiple of 96 and"
          + " at least one block; was " + penultimateFilters + ", " + blocks);
    }
  }

  /** @return NASNetMobile: 1056 filters, 4 blocks, stem 32 */
  public static NasNet mobile() {
    return new NasNet(1056, 4, 32);
  }

  /**
   * @return a NASNet of reduced width and depth (192 filters, 1 block, stem 8), not a published
   *     one: every kind of cell and adjustment, for tests
   */
  static NasNet reduced() {
    return new NasNet(192, 1, 8);
  }

  @Override
  public String id() {
    return equals(mobile()) ? "nasnet_mobile" : "nasnet_" + penultimateFilters + "_" + blocks
        + "_" + stemFilters + "_reduced";
  }

  private String name() {
    return equals(mobile()) ? "NASNetMobile" : "NASNet";
  }

  @Override
  public Preprocessing normalization(int size) {
    return FamilyParts.normalization(size);
  }

  @Override
  public double batchNormEpsilon() {
    return 1e-3;
  }

  @Override
  public String batchNormOf(String conv) {
    if (conv.equals("stem_conv1")) {
      return "stem_bn1";
    }
    if (conv.startsWith("separable_conv_") && conv.endsWith("_pointwise")) {
      String rest = conv.substring("separable_conv_".length(),
          conv.length() - "_pointwise".length()); // "1_<block>"
      return "separable_conv_" + rest.charAt(0) + "_bn" + rest.substring(1);
    }
    for (String kind : new String[] {"normal", "reduction"}) {
      if (conv.startsWith(kind + "_conv_1_")) {
        return kind + "_bn_1_" + conv.substring((kind + "_conv_1_").length());
      }
    }
    if (conv.startsWith("adjust_conv_projection_")) {
      return "adjust_bn_" + conv.substring("adjust_conv_projection_".length());
    }
    return conv + "_no_bn";
  }

  /** Keras' {@code <sep>/pointwise_kernel} also as {@code <sep>_pointwise/kernel}. */
  @Override
  public Map<String, WeightTensor> graphWeights(Map<String, WeightTensor> weights) {
    Map<String, WeightTensor> w = null;
    for (var e : weights.entrySet()) {
      if (e.getKey().endsWith("/pointwise_kernel")) {
        if (w == null) {
          w = new LinkedHashMap<>(weights);
        }
        String layer = e.getKey().substring(0, e.getKey().length() - "/pointwise_kernel".length());
        w.putIfAbsent(layer + "_pointwise/kernel", e.getValue());
      }
    }
    return w == null ? weights : w;
  }

  /** A cell: reduction or normal, its Keras id and filters. */
  private record Cell(boolean reduction, String id, int filters) {
    String output() {
      return (reduction ? "reduction_concat_" : "normal_concat_") + id;
    }

    int channels() {
      return (reduction ? 4 : 6) * filters;
    }
  }

  private List<Cell> cells() {
    int filters = penultimateFilters / 24;
    List<Cell> cells = new ArrayList<>();
    cells.add(new Cell(true, "stem_1", filters / 4));
    cells.add(new Cell(true, "stem_2", filters / 2));
    for (int i = 0; i < blocks; i++) {
      cells.add(new Cell(false, String.valueOf(i), filters));
    }
    cells.add(new Cell(true, "reduce_" + blocks, filters * 2));
    for (int i = 0; i < blocks; i++) {
      cells.add(new Cell(false, String.valueOf(blocks + i + 1), filters * 2));
    }
    cells.add(new Cell(true, "reduce_" + 2 * blocks, filters * 4));
    for (int i = 0; i < blocks; i++) {
      cells.add(new Cell(false, String.valueOf(2 * blocks + i + 1), filters * 4));
    }
    return cells;
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>(List.of("stem_bn1"));
    cells().forEach(c -> names.add(c.output()));
    names.add("relu");
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> blockOutputs() {
    return featureLayers().subList(1, featureLayers().size());
  }

  private static long stemSize(long size) {
    return (size - 3) / 2 + 1;
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException(name() + " has no layer '" + cutAt + "'; valid: "
          + featureLayers());
    }
    long size = ((InputType.InputTypeConvolutional) b.getNetworkInputTypes().get(0)).getHeight();
    b.addLayer("stem_conv1", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nIn(3)
        .nOut(stemFilters).hasBias(folded).convolutionMode(ConvolutionMode.Truncate)
        .activation(Activation.IDENTITY).build(), input);
    if (!folded) {
      batchNorm(b, "stem_bn1", "stem_conv1", stemFilters);
    }
    String stem = folded ? "stem_conv1" : "stem_bn1";
    if (cutAt.equals("stem_bn1")) {
      if (folded) { // the cut keeps its name
        throw new IllegalArgumentException("the folded stem has no stem_bn1");
      }
      return stemFilters;
    }
    return addCells(b, stem, stemSize(size), cutAt, folded);
  }

  /** Tracks a cell input: its layer, channels and size. */
  private record Tensor(String name, int channels, long size) {}

  private int addCells(GraphBuilder b, String stem, long size, String cutAt, boolean folded) {
    Tensor x = new Tensor(stem, stemFilters, size);
    Tensor p = null;
    for (Cell c : cells()) {
      Tensor out = c.reduction() ? reduction(b, x, p, c, folded) : normal(b, x, p, c, folded);
      p = x;
      x = out;
      if (cutAt.equals(c.output())) {
        return c.channels();
      }
    }
    b.addLayer("relu", relu(), x.name());
    return x.channels();
  }

  private Tensor adjust(GraphBuilder b, Tensor p, Tensor ip, int filters, String id,
      boolean folded) {
    if (p == null) {
      return ip;
    }
    if (p.size() != ip.size()) {
      b.addLayer("adjust_relu_1_" + id, relu(), p.name());
      b.addLayer("adjust_avg_pool_1_" + id, pool(SubsamplingLayer.PoolingType.AVG, 1, 2,
          ConvolutionMode.Truncate), "adjust_relu_1_" + id);
      conv(b, "adjust_conv_1_" + id, "adjust_avg_pool_1_" + id, p.channels(), filters / 2,
          false);
      b.addLayer("adjust_pad_" + id, new ZeroPaddingLayer.Builder(0, 1, 0, 1).build(),
          "adjust_relu_1_" + id);
      b.addLayer("adjust_crop_" + id, new Cropping2D(1, 0, 1, 0), "adjust_pad_" + id);
      b.addLayer("adjust_avg_pool_2_" + id, pool(SubsamplingLayer.PoolingType.AVG, 1, 2,
          ConvolutionMode.Truncate), "adjust_crop_" + id);
      conv(b, "adjust_conv_2_" + id, "adjust_avg_pool_2_" + id, p.channels(), filters / 2,
          false);
      b.addVertex("adjust_concat_" + id, new MergeVertex(), "adjust_conv_1_" + id,
          "adjust_conv_2_" + id);
      String bn = "adjust_bn_" + id;
      if (folded) {
        b.addLayer(bn, FamilyParts.frozenBatchNorm(bn, 2 * (filters / 2)),
            "adjust_concat_" + id);
      } else {
        batchNorm(b, bn, "adjust_concat_" + id, 2 * (filters / 2));
      }
      return new Tensor(bn, 2 * (filters / 2), ip.size());
    }
    if (p.channels() != filters) {
      b.addLayer("adjust_relu_projection_" + id, relu(), p.name());
      String conv = "adjust_conv_projection_" + id;
      conv(b, conv, "adjust_relu_projection_" + id, p.channels(), filters, folded);
      return new Tensor(bnIfUnfolded(b, conv, "adjust_bn_" + id, filters, folded), filters,
          p.size());
    }
    return p;
  }

  private Tensor normal(GraphBuilder b, Tensor ip, Tensor prev, Cell c, boolean folded) {
    String id = c.id();
    int f = c.filters();
    Tensor p = adjust(b, prev, ip, f, id, folded);
    Tensor h = squeeze(b, ip, "normal", id, f, folded);
    String x1 = add(b, "normal_add_1_" + id, separable(b, h, f, 5, 1, "normal_left1_" + id,
        folded), separable(b, p, f, 3, 1, "normal_right1_" + id, folded));
    String x2 = add(b, "normal_add_2_" + id, separable(b, p, f, 5, 1, "normal_left2_" + id,
        folded), separable(b, p, f, 3, 1, "normal_right2_" + id, folded));
    b.addLayer("normal_left3_" + id, samePool(), h.name());
    String x3 = add(b, "normal_add_3_" + id, "normal_left3_" + id, p.name());
    b.addLayer("normal_left4_" + id, samePool(), p.name());
    b.addLayer("normal_right4_" + id, samePool(), p.name());
    String x4 = add(b, "normal_add_4_" + id, "normal_left4_" + id, "normal_right4_" + id);
    String x5 = add(b, "normal_add_5_" + id, separable(b, h, f, 3, 1, "normal_left5_" + id,
        folded), h.name());
    b.addVertex(c.output(), new MergeVertex(), p.name(), x1, x2, x3, x4, x5);
    return new Tensor(c.output(), c.channels(), ip.size());
  }

  private Tensor reduction(GraphBuilder b, Tensor ip, Tensor prev, Cell c, boolean folded) {
    String id = c.id();
    int f = c.filters();
    Tensor p = adjust(b, prev, ip, f, id, folded);
    Tensor h = squeeze(b, ip, "reduction", id, f, folded);
    // Keras' correct_pad(h, 3): ((0, 1), (0, 1)) on even sizes, ((1, 1), (1, 1)) on odd ones
    int before = h.size() % 2 == 0 ? 0 : 1;
    b.addLayer("reduction_pad_1_" + id, new ZeroPaddingLayer.Builder(before, 1, before, 1)
        .build(), h.name());
    String h3 = "reduction_pad_1_" + id;
    String x1 = add(b, "reduction_add_1_" + id, separable(b, h, f, 5, 2,
        "reduction_left1_" + id, folded), separable(b, p, f, 7, 2, "reduction_right1_" + id,
        folded));
    b.addLayer("reduction_left2_" + id, pool(SubsamplingLayer.PoolingType.MAX, 3, 2,
        ConvolutionMode.Truncate), h3);
    String x2 = add(b, "reduction_add_2_" + id, "reduction_left2_" + id, separable(b, p, f, 7,
        2, "reduction_right2_" + id, folded));
    b.addLayer("reduction_left3_" + id, pool(SubsamplingLayer.PoolingType.AVG, 3, 2,
        ConvolutionMode.Truncate), h3);
    String x3 = add(b, "reduction_add3_" + id, "reduction_left3_" + id, separable(b, p, f, 5,
        2, "reduction_right3_" + id, folded));
    b.addLayer("reduction_left4_" + id, samePool(), x1);
    String x4 = add(b, "reduction_add_x4_" + id, x2, "reduction_left4_" + id);
    long half = (h.size() + 1) / 2;
    b.addLayer("reduction_right5_" + id, pool(SubsamplingLayer.PoolingType.MAX, 3, 2,
        ConvolutionMode.Truncate), h3);
    String x5 = add(b, "reduction_add4_" + id, separable(b, new Tensor(x1, f, half), f, 3, 1,
        "reduction_left4_" + id, folded), "reduction_right5_" + id);
    b.addVertex(c.output(), new MergeVertex(), x2, x3, x4, x5);
    return new Tensor(c.output(), c.channels(), half);
  }

  /** ReLU, 1×1 convolution and BatchNorm: the cell's own input brought to its filters. */
  private Tensor squeeze(GraphBuilder b, Tensor ip, String kind, String id, int filters,
      boolean folded) {
    b.addLayer(kind + "_relu_1_" + id, relu(), ip.name());
    String conv = kind + "_conv_1_" + id;
    conv(b, conv, kind + "_relu_1_" + id, ip.channels(), filters, folded);
    return new Tensor(bnIfUnfolded(b, conv, kind + "_bn_1_" + id, filters, folded), filters,
        ip.size());
  }

  /** Keras' separable block: ReLU, separable conv, BN, ReLU, separable conv, BN. */
  private String separable(GraphBuilder b, Tensor in, int filters, int k, int stride,
      String block, boolean folded) {
    String x = in.name();
    int channels = in.channels();
    for (int i = 1; i <= 2; i++) {
      String relu = "separable_conv_" + i + "_relu_" + block;
      b.addLayer(relu, relu(), x);
      String sep = "separable_conv_" + i + "_" + block;
      int s = i == 1 ? stride : 1;
      b.addLayer(sep, new DepthwiseConvolution2D.Builder(k, k).stride(s, s).nIn(channels)
          .nOut(channels).depthMultiplier(1).hasBias(false)
          .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), relu);
      conv(b, sep + "_pointwise", sep, channels, filters, folded);
      x = bnIfUnfolded(b, sep + "_pointwise", "separable_conv_" + i + "_bn_" + block, filters,
          folded);
      channels = filters;
    }
    return x;
  }

  private static String add(GraphBuilder b, String name, String x, String y) {
    b.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), x, y);
    return name;
  }

  /** A 1×1 convolution, biased when a BatchNorm is folded into it. */
  private static void conv(GraphBuilder b, String name, String input, int in, int out,
      boolean biased) {
    b.addLayer(name, new ConvolutionLayer.Builder(1, 1).nIn(in).nOut(out).hasBias(biased)
        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), input);
  }

  private String bnIfUnfolded(GraphBuilder b, String conv, String bn, int channels,
      boolean folded) {
    if (folded) {
      return conv;
    }
    batchNorm(b, bn, conv, channels);
    return bn;
  }

  private void batchNorm(GraphBuilder b, String name, String input, int channels) {
    b.addLayer(name, new BatchNormalization.Builder().nIn(channels).nOut(channels)
        .eps(batchNormEpsilon()).useLogStd(false).activation(Activation.IDENTITY).build(), input);
  }

  private static SubsamplingLayer pool(SubsamplingLayer.PoolingType type, int k, int stride,
      ConvolutionMode mode) {
    return new SubsamplingLayer.Builder(type).kernelSize(k, k).stride(stride, stride)
        .convolutionMode(mode).build();
  }

  /** 3×3 average "same", the padding left out of the average (TensorFlow's). */
  private static SubsamplingLayer samePool() {
    return new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG).kernelSize(3, 3)
        .stride(1, 1).convolutionMode(ConvolutionMode.Same).avgPoolIncludePadInDivisor(false)
        .build();
  }

  private static ActivationLayer relu() {
    return new ActivationLayer.Builder().activation(Activation.RELU).build();
  }

  @Override
  public int trainableUnits() {
    return 1;
  }

  @Override
  public String cutBefore(int topUnits) {
    FamilyParts.checkUnits(name(), 1, topUnits);
    return "stem_bn1";
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    FamilyParts.checkUnits(name(), 1, topUnits);
    var in = (InputType.InputTypeConvolutional) b.getNetworkInputTypes().get(0);
    // the top graph's input is the stem's output; the whole network's is the image
    long size = in.getChannels() == 3 ? stemSize(in.getHeight()) : in.getHeight();
    return addCells(b, input, size, lastFeatureLayer(), true);
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException(name() + " has no layer '" + cut + "'");
    }
    long size = stemSize(inputSize);
    int channels = stemFilters;
    List<Cell> cells = cells();
    for (int i = 0; i < Math.min(index, cells.size()); i++) {
      if (cells.get(i).reduction()) {
        size = (size + 1) / 2;
      }
      channels = cells.get(i).channels();
    }
    return new long[] {channels, size, size};
  }
}
