package dev.kiln.maven.export;

import dev.kiln.maven.export.proto.OnnxProto.ModelProto;
import dev.kiln.maven.export.proto.OnnxProto.NodeProto;
import dev.kiln.maven.export.proto.OnnxProto.OperatorSetIdProto;
import dev.kiln.maven.export.proto.OnnxProto.StringStringEntryProto;
import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.VertexIndices;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Writes a DL4J {@link ComputationGraph} (NCHW) as an ONNX model (opset 13), with Kiln's own
 * protobuf classes. Supported layers: convolution ("same" → {@code SAME_UPPER}, or explicit
 * padding), depthwise convolution (→ grouped Conv), batch normalisation (inference form), max/avg
 * subsampling, global avg/max pooling, dense and output layers (→ Gemm), activation layers,
 * dropout (identity at inference). Activations: identity, ReLU, ReLU6 (→ Clip), leaky ReLU,
 * sigmoid, tanh, softmax. Anything else fails with {@link UnsupportedOperationException} naming
 * the layer and its type.
 *
 * <p>Optionally the input normalisation ({@code (x·scale − mean)/std} per channel) is put into the
 * graph, so the model takes raw 0..255 RGB values.
 */
public final class OnnxExporter {

  /** ONNX opset written. */
  public static final int OPSET = 13;
  /** ONNX IR version written (ONNX 1.10+). */
  public static final int IR_VERSION = 8;
  /** Name of the graph input. */
  public static final String INPUT = "input";

  /**
   * What to write besides the graph.
   *
   * @param normalization normalisation to put in the graph (null: none, the input is used as is)
   * @param metadata {@code metadata_props} entries
   * @param outputName name of the graph output
   */
  public record Options(Preprocessing normalization, Map<String, String> metadata,
      String outputName, boolean testTimeFlip) {
    public Options {
      metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
      if (outputName == null || outputName.isBlank()) {
        throw new IllegalArgumentException("outputName must be set");
      }
    }

    /** Options without test-time flip. */
    public Options(Preprocessing normalization, Map<String, String> metadata, String outputName) {
      this(normalization, metadata, outputName, false);
    }
  }

  private OnnxExporter() {}

  /**
   * @param net the trained graph (one input, one output)
   * @param inputShape {@code [C, H, W]} of one image
   * @param options normalisation, metadata, output name
   * @return the serialised ONNX model
   */
  public static byte[] export(ComputationGraph net, long[] inputShape, Options options) {
    return build(net, inputShape, options).toByteArray();
  }

  /**
   * @param onnx a serialised model
   * @param properties its new {@code metadata_props} (replacing the old ones)
   * @return the same graph with those properties
   */
  public static byte[] withMetadata(byte[] onnx, java.util.Map<String, String> properties) {
    try {
      ModelProto.Builder model = ModelProto.parseFrom(onnx).toBuilder().clearMetadataProps();
      properties.forEach((k, v) -> model.addMetadataProps(
          StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
      return model.build().toByteArray();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
    }
  }

  static ModelProto build(ComputationGraph net, long[] inputShape, Options options) {
    if (net.getConfiguration().getNetworkInputs().size() != 1
        || net.getConfiguration().getNetworkOutputs().size() != 1) {
      throw new UnsupportedOperationException("only graphs with one input and one output export");
    }
    OnnxGraph g = new OnnxGraph();
    g.graph.setName("kiln");
    long[] in = {-1, inputShape[0], inputShape[1], inputShape[2]};
    g.graph.addInput(OnnxGraph.floatValue(INPUT, in));

    Map<String, String> tensorOf = new HashMap<>();
    GraphVertex[] vertices = net.getVertices();
    String networkOutput = net.getConfiguration().getNetworkOutputs().get(0);
    for (int idx : net.topologicalSortOrder()) {
      GraphVertex v = vertices[idx];
      String name = v.getVertexName();
      if (v.isInputVertex()) {
        String x = normalization(g, options.normalization());
        tensorOf.put(name, options.testTimeFlip() ? mirrorBatch(g, x) : x);
        continue;
      }
      VertexIndices[] inputs = v.getInputVertices();
      if (v instanceof org.deeplearning4j.nn.graph.vertex.impl.MergeVertex && inputs != null) {
        // concatenation along the channel axis (pooled features of several depths)
        String[] parts = new String[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
          parts[i] = tensorOf.get(vertices[inputs[i].getVertexIndex()].getVertexName());
        }
        g.node("Concat", name, name, parts).addAttribute(OnnxGraph.integer("axis", 1));
        tensorOf.put(name, name);
        continue;
      }
      if (v instanceof org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex ew
          && inputs != null && inputs.length == 2) {
        // a residual connection: DL4J's Add of two tensors
        String op = elementWiseOp(ew);
        g.node(op, name, name, tensorOf.get(vertices[inputs[0].getVertexIndex()].getVertexName()),
            tensorOf.get(vertices[inputs[1].getVertexIndex()].getVertexName()));
        tensorOf.put(name, name);
        continue;
      }
      if (!v.hasLayer() || inputs == null || inputs.length != 1) {
        throw new UnsupportedOperationException("vertex '" + name + "' ("
            + v.getClass().getSimpleName() + ") cannot be exported: only single-input layers are"
            + " supported");
      }
      String x = tensorOf.get(vertices[inputs[0].getVertexIndex()].getVertexName());
      if (v instanceof LayerVertex lv && lv.getLayerPreProcessor() != null) {
        x = preprocessor(g, name, lv.getLayerPreProcessor(), x);
      }
      String out = layer(g, name, v.getLayer(), x);
      tensorOf.put(name, out);
    }
    // name the final tensor as the graph output
    String last = tensorOf.get(networkOutput);
    long width = outputWidth(net, networkOutput);
    if (options.testTimeFlip()) {
      if (width <= 0) {
        throw new UnsupportedOperationException("test-time flip needs a [batch, classes] output");
      }
      last = meanOfHalves(g, last, width);
    }
    g.node("Identity", "output", options.outputName(), last);
    g.graph.addOutput(width > 0 ? OnnxGraph.floatValue(options.outputName(), -1, width)
        : OnnxGraph.floatValue(options.outputName(), (long[]) null));
    ModelProto.Builder model = ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setProducerName("kiln")
        .setProducerVersion(OnnxExporter.class.getPackage().getImplementationVersion() == null
            ? "dev" : OnnxExporter.class.getPackage().getImplementationVersion())
        .setGraph(g.graph);
    options.metadata().forEach((k, val) ->
        model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(val)));
    return model.build();
  }

  private static long outputWidth(ComputationGraph net, String layer) {
    if (!net.getVertex(layer).hasLayer()) {
      return -1;
    }
    Layer l = net.getLayer(layer);
    if (l.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.FeedForwardLayer ff
        && !(l.conf().getLayer() instanceof ConvolutionLayer)) {
      return ff.getNOut();
    }
    return -1;
  }

  private static String normalization(OnnxGraph g, Preprocessing p) {
    if (p == null || p.isRaw()) {
      return INPUT;
    }
    float[] mean = p.mean();
    float[] std = p.std();
    float[] a = new float[3];
    float[] b = new float[3];
    for (int c = 0; c < 3; c++) {
      a[c] = p.scale() / std[c];
      b[c] = -mean[c] / std[c];
    }
    String scale = g.initializer("normalize_scale", new long[] {1, 3, 1, 1}, a);
    String shift = g.initializer("normalize_shift", new long[] {1, 3, 1, 1}, b);
    String x = INPUT;
    if (p.channels() == Preprocessing.ChannelOrder.BGR) { // the model takes RGB: reorder first
      g.node("Gather", "normalize_bgr", "normalize_bgr", INPUT,
          g.int64Initializer("normalize_bgr_order", 2, 1, 0))
          .addAttribute(OnnxGraph.integer("axis", 1));
      x = "normalize_bgr";
    }
    g.node("Mul", "normalize_mul", "normalize_scaled", x, scale);
    g.node("Add", "normalize_add", "normalized", "normalize_scaled", shift);
    return "normalized";
  }

  /** @return the ONNX operator of an element-wise vertex (Add; others are refused) */
  private static String elementWiseOp(org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex v) {
    try {
      java.lang.reflect.Field f = v.getClass().getDeclaredField("op");
      f.setAccessible(true);
      Object op = f.get(v);
      if ("Add".equals(String.valueOf(op))) {
        return "Add";
      }
      if ("Product".equals(String.valueOf(op))) {
        return "Mul";
      }
      throw new UnsupportedOperationException("element-wise vertex '" + v.getVertexName() + "' ("
          + op + ") cannot be exported: only Add and Product are supported");
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the operation of vertex "
          + v.getVertexName(), e);
    }
  }

  /**
   * Test-time flip, first half: the batch followed by its mirror images (width axis reversed),
   * {@code [N, C, H, W] → [2N, C, H, W]}.
   */
  private static String mirrorBatch(OnnxGraph g, String x) {
    String starts = g.int64Initializer("flip_starts", -1);
    String ends = g.int64Initializer("flip_ends", Long.MIN_VALUE);
    String axes = g.int64Initializer("flip_axes", 3);
    String steps = g.int64Initializer("flip_steps", -1);
    g.node("Slice", "flip_mirror", "flip_mirrored", x, starts, ends, axes, steps);
    g.node("Concat", "flip_concat", "flip_batch", x, "flip_mirrored")
        .addAttribute(OnnxGraph.integer("axis", 0));
    return "flip_batch";
  }

  /** Test-time flip, second half: {@code [2N, K] → [N, K]}, the mean of each photo's two rows. */
  private static String meanOfHalves(OnnxGraph g, String scores, long classes) {
    String shape = g.int64Initializer("flip_shape", 2, -1, classes);
    g.node("Reshape", "flip_reshape", "flip_pairs", scores, shape);
    g.node("ReduceMean", "flip_mean", "flip_averaged", "flip_pairs")
        .addAttribute(OnnxGraph.ints("axes", 0))
        .addAttribute(OnnxGraph.integer("keepdims", 0));
    return "flip_averaged";
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

  private static String layer(OnnxGraph g, String name, Layer layer, String x) {
    org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
    if (conf instanceof DepthwiseConvolution2D dw) {
      INDArray w = layer.getParam("W"); // [kH, kW, nIn, mult]
      long kh = w.size(0);
      long kw = w.size(1);
      long nIn = w.size(2);
      long mult = w.size(3);
      INDArray onnxW = w.permute(2, 3, 0, 1).dup('c').reshape('c', nIn * mult, 1, kh, kw);
      String out = conv(g, name, x, onnxW, dw.hasBias() ? layer.getParam("b") : null, dw.getKernelSize(),
          dw.getStride(), dw.getPadding(), dw.getDilation(), dw.getConvolutionMode(), nIn);
      return activation(g, name, dw.getActivationFn(), out);
    }
    if (conf instanceof ConvolutionLayer c) {
      if (conf.getClass() != ConvolutionLayer.class) {
        throw unsupported(name, conf);
      }
      String out = conv(g, name, x, layer.getParam("W"), c.hasBias() ? layer.getParam("b") : null,
          c.getKernelSize(), c.getStride(), c.getPadding(), c.getDilation(), c.getConvolutionMode(), 1);
      return activation(g, name, c.getActivationFn(), out);
    }
    if (conf instanceof BatchNormalization bn) {
      // the layer's inherited activation is never applied by DL4J: not exported
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
    if (conf instanceof org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer zp) {
      int[] pad = zp.getPadding(); // top, bottom, left, right
      g.node("Pad", name, name, x, g.int64Initializer(name + "_pads", 0, 0, pad[0], pad[2], 0, 0,
          pad[1], pad[3]));
      return name;
    }
    if (conf instanceof ActivationLayer a) {
      return activation(g, name, a.getActivationFn(), x);
    }
    if (conf instanceof DropoutLayer) {
      return x;
    }
    if (conf instanceof GlobalPoolingLayer gp) {
      String op = switch (gp.getPoolingType()) {
        case AVG -> "GlobalAveragePool";
        case MAX -> "GlobalMaxPool";
        default -> throw new UnsupportedOperationException("layer '" + name + "' uses "
            + gp.getPoolingType() + " global pooling; supported: AVG, MAX");
      };
      String pooled = name + "_pool";
      g.node(op, pooled, pooled, x);
      if (!gp.isCollapseDimensions()) {
        return pooled;
      }
      g.node("Flatten", name, name, pooled).addAttribute(OnnxGraph.integer("axis", 1));
      return name;
    }
    if (conf instanceof SubsamplingLayer s) {
      if (s.getPoolingType() != PoolingType.MAX && s.getPoolingType() != PoolingType.AVG) {
        throw new UnsupportedOperationException("layer '" + name + "' uses " + s.getPoolingType()
            + " pooling; supported: MAX, AVG");
      }
      String op = s.getPoolingType() == PoolingType.MAX ? "MaxPool" : "AveragePool";
      NodeProto.Builder node = g.node(op, name, name, x)
          .addAttribute(OnnxGraph.ints("kernel_shape", s.getKernelSize()[0], s.getKernelSize()[1]))
          .addAttribute(OnnxGraph.ints("strides", s.getStride()[0], s.getStride()[1]));
      padding(node, s.getConvolutionMode(), s.getPadding());
      return name;
    }
    if (conf instanceof DenseLayer || conf instanceof OutputLayer) {
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
      return activation(g, name, ((BaseLayer) conf).getActivationFn(), gemm);
    }
    throw unsupported(name, conf);
  }

  private static UnsupportedOperationException unsupported(String name,
      org.deeplearning4j.nn.conf.layers.Layer conf) {
    return new UnsupportedOperationException("layer '" + name + "' of type "
        + conf.getClass().getSimpleName() + " cannot be exported to ONNX; supported: Convolution,"
        + " DepthwiseConvolution2D, BatchNormalization, Subsampling, GlobalPooling, Dense, Output,"
        + " Activation, Dropout");
  }

  private static String conv(OnnxGraph g, String name, String x, INDArray w, INDArray b,
      int[] kernel, int[] stride, int[] pad, int[] dilation, ConvolutionMode mode, long group) {
    List<String> inputs = new ArrayList<>(List.of(x,
        g.initializer(name + "_W", w.shape(), floats(w))));
    if (b != null) {
      inputs.add(g.initializer(name + "_b", new long[] {b.length()}, floats(b)));
    }
    String out = name + "_conv";
    NodeProto.Builder node = g.node("Conv", out, out, inputs.toArray(String[]::new))
        .addAttribute(OnnxGraph.ints("kernel_shape", kernel[0], kernel[1]))
        .addAttribute(OnnxGraph.ints("strides", stride[0], stride[1]))
        .addAttribute(OnnxGraph.ints("dilations", dilation[0], dilation[1]))
        .addAttribute(OnnxGraph.integer("group", group));
    padding(node, mode, pad);
    return out;
  }

  private static void padding(NodeProto.Builder node, ConvolutionMode mode, int[] pad) {
    if (mode == ConvolutionMode.Same) {
      node.addAttribute(OnnxGraph.string("auto_pad", "SAME_UPPER"));
    } else if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict) {
      node.addAttribute(OnnxGraph.ints("pads", pad[0], pad[1], pad[0], pad[1]));
    } else {
      throw new UnsupportedOperationException("convolution mode " + mode
          + " cannot be exported; supported: Same, Truncate, Strict");
    }
  }

  private static String activation(OnnxGraph g, String name, IActivation fn, String x) {
    if (fn == null || fn instanceof ActivationIdentity) {
      if (x.equals(name)) {
        return x;
      }
      g.node("Identity", name, name, x);
      return name;
    }
    if (fn instanceof ActivationReLU) {
      g.node("Relu", name, name, x);
    } else if (fn instanceof ActivationReLU6) {
      g.node("Clip", name, name, x, g.initializer(g.unique("clip_min"), new long[0], new float[] {0f}),
          g.initializer(g.unique("clip_max"), new long[0], new float[] {6f}));
    } else if (fn instanceof ActivationLReLU l) {
      g.node("LeakyRelu", name, name, x).addAttribute(OnnxGraph.real("alpha", (float) l.getAlpha()));
    } else if (fn instanceof ActivationSigmoid) {
      g.node("Sigmoid", name, name, x);
    } else if (fn instanceof ActivationTanH) {
      g.node("Tanh", name, name, x);
    } else if (fn instanceof ActivationSoftmax) {
      g.node("Softmax", name, name, x).addAttribute(OnnxGraph.integer("axis", 1));
    } else {
      throw new UnsupportedOperationException("layer '" + name + "' uses activation "
          + fn.getClass().getSimpleName() + ", which the ONNX exporter does not support; supported:"
          + " identity, relu, relu6, leakyrelu, sigmoid, tanh, softmax");
    }
    return name;
  }

  private static float[] floats(INDArray a) {
    return a.dup('c').castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).data().asFloat();
  }
}
