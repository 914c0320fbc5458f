package dev.kiln.maven.export;

import dev.kiln.onnx.OnnxGraph;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The registry of layer converters: one entry per DL4J layer class (matched exactly, so a
 * subclass with other semantics is refused rather than written wrong), each writing the layer as
 * ONNX nodes whose last output is named after the layer. Activations have their own registry,
 * {@link ActivationConverters}. Adding a layer kind is one entry here.
 */
final class LayerConverters {

  /** Writes one layer. */
  @FunctionalInterface
  interface LayerConverter {
    /**
     * @param g the graph being written
     * @param name the layer's name (the name of its output tensor)
     * @param layer the layer, with its parameters
     * @param x the input tensor
     * @return the output tensor
     */
    String convert(OnnxGraph g, String name, Layer layer, String x);
  }

  private static final Map<Class<?>, LayerConverter> REGISTRY = Map.ofEntries(
      Map.entry(ConvolutionLayer.class, LayerConverters::convolution),
      Map.entry(DepthwiseConvolution2D.class, LayerConverters::depthwise),
      Map.entry(BatchNormalization.class, LayerConverters::batchNorm),
      Map.entry(ZeroPaddingLayer.class, LayerConverters::zeroPadding),
      Map.entry(org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D.class,
          LayerConverters::cropping),
      Map.entry(ActivationLayer.class, (g, name, l, x) ->
          ActivationConverters.write(g, name, ((ActivationLayer) conf(l)).getActivationFn(), x)),
      Map.entry(DropoutLayer.class, (g, name, l, x) -> x),
      Map.entry(GlobalPoolingLayer.class, LayerConverters::globalPooling),
      Map.entry(SubsamplingLayer.class, LayerConverters::subsampling),
      Map.entry(DenseLayer.class, LayerConverters::dense),
      Map.entry(OutputLayer.class, LayerConverters::dense));

  private LayerConverters() {}

  /**
   * @return the output tensor of the layer (after its input preprocessor, if any)
   * @throws UnsupportedOperationException naming the layer, its type and the supported types
   */
  static String convert(OnnxGraph g, String name, Layer layer, InputPreProcessor pre, String x) {
    LayerConverter c = REGISTRY.get(conf(layer).getClass());
    if (c == null) {
      throw new UnsupportedOperationException("layer '" + name + "' of type "
          + conf(layer).getClass().getSimpleName() + " cannot be exported to ONNX; supported: "
          + REGISTRY.keySet().stream().map(Class::getSimpleName).sorted().toList());
    }
    return c.convert(g, name, layer, pre == null ? x : preprocessor(g, name, pre, x));
  }

  private static org.deeplearning4j.nn.conf.layers.Layer conf(Layer layer) {
    return layer.conf().getLayer();
  }

  private static String preprocessor(OnnxGraph g, String layer, InputPreProcessor p, String x) {
    if (p instanceof CnnToFeedForwardPreProcessor) {
      String out = layer + "_flatten";
      g.node("Flatten", out, out, x).addAttribute(OnnxGraph.integer("axis", 1));
      return out;
    }
    throw new UnsupportedOperationException("layer '" + layer + "' has input preprocessor "
        + p.getClass().getSimpleName() + ", which the ONNX exporter does not support");
  }

  private static String depthwise(OnnxGraph g, String name, Layer layer, String x) {
    DepthwiseConvolution2D dw = (DepthwiseConvolution2D) conf(layer);
    INDArray w = layer.getParam("W"); // [kH, kW, nIn, mult]
    long kh = w.size(0);
    long kw = w.size(1);
    long nIn = w.size(2);
    long mult = w.size(3);
    INDArray onnxW = w.permute(2, 3, 0, 1).dup('c').reshape('c', nIn * mult, 1, kh, kw);
    String out = conv(g, name, x, onnxW, dw.hasBias() ? layer.getParam("b") : null,
        dw.getKernelSize(), dw.getStride(), dw.getPadding(), dw.getDilation(),
        dw.getConvolutionMode(), nIn);
    return ActivationConverters.write(g, name, dw.getActivationFn(), out);
  }

  private static String convolution(OnnxGraph g, String name, Layer layer, String x) {
    ConvolutionLayer c = (ConvolutionLayer) conf(layer);
    String out = conv(g, name, x, layer.getParam("W"), c.hasBias() ? layer.getParam("b") : null,
        c.getKernelSize(), c.getStride(), c.getPadding(), c.getDilation(),
        c.getConvolutionMode(), 1);
    return ActivationConverters.write(g, name, c.getActivationFn(), out);
  }

  /** Inference form; the layer's inherited activation is never applied by DL4J: not written. */
  private static String batchNorm(OnnxGraph g, String name, Layer layer, String x) {
    BatchNormalization bn = (BatchNormalization) conf(layer);
    // DL4J may store log10(stdev): var = (10^x)^2
    INDArray var = bn.isUseLogStd()
        ? Transforms.pow(Transforms.pow(Nd4j.valueArrayOf(layer.getParam("log10stdev").shape(),
            10.0, layer.getParam("log10stdev").dataType()), layer.getParam("log10stdev"), true),
            2, false)
        : layer.getParam("var");
    INDArray gamma = layer.paramTable().containsKey("gamma") ? layer.getParam("gamma")
        : Nd4j.valueArrayOf(var.shape(), bn.getGamma()).castTo(var.dataType());
    INDArray beta = layer.paramTable().containsKey("beta") ? layer.getParam("beta")
        : Nd4j.valueArrayOf(var.shape(), bn.getBeta()).castTo(var.dataType());
    long n = var.length();
    g.node("BatchNormalization", name, name, x,
            g.initializer(name + "_gamma", new long[] {n}, floats(gamma)),
            g.initializer(name + "_beta", new long[] {n}, floats(beta)),
            g.initializer(name + "_mean", new long[] {n}, floats(layer.getParam("mean"))),
            g.initializer(name + "_var", new long[] {n}, floats(var)))
        .addAttribute(OnnxGraph.real("epsilon", (float) bn.getEps()));
    return name;
  }

  private static String zeroPadding(OnnxGraph g, String name, Layer layer, String x) {
    int[] pad = ((ZeroPaddingLayer) conf(layer)).getPadding(); // top, bottom, left, right
    g.node("Pad", name, name, x, g.int64Initializer(name + "_pads", 0, 0, pad[0], pad[2], 0, 0,
        pad[1], pad[3]));
    return name;
  }

  /** Cropping (top, bottom, left, right) as a Slice of H and W. */
  private static String cropping(OnnxGraph g, String name, Layer layer, String x) {
    int[] crop = ((org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D) conf(layer))
        .getCropping();
    g.node("Slice", name, name, x, g.int64Initializer(name + "_starts", crop[0], crop[2]),
        g.int64Initializer(name + "_ends", crop[1] > 0 ? -crop[1] : Long.MAX_VALUE,
            crop[3] > 0 ? -crop[3] : Long.MAX_VALUE),
        g.int64Initializer(name + "_axes", 2, 3));
    return name;
  }

  private static String globalPooling(OnnxGraph g, String name, Layer layer, String x) {
    GlobalPoolingLayer gp = (GlobalPoolingLayer) conf(layer);
    String op = switch (gp.getPoolingType()) {
      case AVG -> "GlobalAveragePool";
      case MAX -> "GlobalMaxPool";
      default -> throw new UnsupportedOperationException("layer '" + name + "' uses "
          + gp.getPoolingType() + " global pooling; supported: AVG, MAX");
    };
    if (!gp.isCollapseDimensions()) { // [N, C, 1, 1], as squeeze-and-excite uses it
      g.node(op, name, name, x);
      return name;
    }
    String pooled = name + "_pool";
    g.node(op, pooled, pooled, x);
    g.node("Flatten", name, name, pooled).addAttribute(OnnxGraph.integer("axis", 1));
    return name;
  }

  private static String subsampling(OnnxGraph g, String name, Layer layer, String x) {
    SubsamplingLayer s = (SubsamplingLayer) conf(layer);
    if (s.getPoolingType() != PoolingType.MAX && s.getPoolingType() != PoolingType.AVG) {
      throw new UnsupportedOperationException("layer '" + name + "' uses " + s.getPoolingType()
          + " pooling; supported: MAX, AVG");
    }
    String op = s.getPoolingType() == PoolingType.MAX ? "MaxPool" : "AveragePool";
    var node = g.node(op, name, name, x)
        .addAttribute(OnnxGraph.ints("kernel_shape", s.getKernelSize()[0], s.getKernelSize()[1]))
        .addAttribute(OnnxGraph.ints("strides", s.getStride()[0], s.getStride()[1]));
    padding(node, s.getConvolutionMode(), s.getPadding());
    if (s.getPoolingType() == PoolingType.AVG) { // whether the padding counts in the average
      node.addAttribute(OnnxGraph.integer("count_include_pad",
          s.isAvgPoolIncludePadInDivisor() ? 1 : 0));
    }
    return name;
  }

  private static String dense(OnnxGraph g, String name, Layer layer, String x) {
    INDArray w = layer.getParam("W"); // [nIn, nOut]
    long nOut = w.size(1);
    List<String> inputs = new ArrayList<>(List.of(x,
        g.initializer(name + "_W", new long[] {w.size(0), nOut}, floats(w))));
    if (layer.paramTable().containsKey("b")) {
      inputs.add(g.initializer(name + "_b", new long[] {nOut}, floats(layer.getParam("b"))));
    }
    String gemm = name + "_gemm";
    g.node("Gemm", gemm, gemm, inputs.toArray(String[]::new))
        .addAttribute(OnnxGraph.integer("transB", 0));
    IActivation fn = ((BaseLayer) conf(layer)).getActivationFn();
    return ActivationConverters.write(g, name, fn, gemm);
  }

  private static String conv(OnnxGraph g, String name, String x, INDArray w, INDArray b,
      int[] kernel, int[] stride, int[] pad, int[] dilation, ConvolutionMode mode, long group) {
    List<String> inputs = new ArrayList<>(List.of(x,
        g.initializer(name + "_W", w.shape(), floats(w))));
    if (b != null) {
      inputs.add(g.initializer(name + "_b", new long[] {b.length()}, floats(b)));
    }
    String out = name + "_conv";
    var node = g.node("Conv", out, out, inputs.toArray(String[]::new))
        .addAttribute(OnnxGraph.ints("kernel_shape", kernel[0], kernel[1]))
        .addAttribute(OnnxGraph.ints("strides", stride[0], stride[1]))
        .addAttribute(OnnxGraph.ints("dilations", dilation[0], dilation[1]))
        .addAttribute(OnnxGraph.integer("group", group));
    padding(node, mode, pad);
    return out;
  }

  private static void padding(dev.kiln.onnx.OnnxProto.NodeProto.Builder node,
      ConvolutionMode mode, int[] pad) {
    if (mode == ConvolutionMode.Same) {
      node.addAttribute(OnnxGraph.string("auto_pad", "SAME_UPPER"));
    } else if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict) {
      node.addAttribute(OnnxGraph.ints("pads", pad[0], pad[1], pad[0], pad[1]));
    } else {
      throw new UnsupportedOperationException("convolution mode " + mode
          + " cannot be exported; supported: Same, Truncate, Strict");
    }
  }

  static float[] floats(INDArray a) {
    return a.dup('c').castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).data().asFloat();
  }
}
