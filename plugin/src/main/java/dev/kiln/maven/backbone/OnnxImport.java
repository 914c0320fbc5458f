package dev.kiln.maven.backbone;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.maven.blocks.ActivationHardSwish;
import dev.kiln.maven.blocks.ActivationScaledHardSigmoid;
import dev.kiln.maven.blocks.ChannelScaleVertex;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.AttributeProto;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import dev.kiln.onnx.OnnxProto.TypeProto;
import dev.kiln.onnx.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Imports part of a user's ONNX graph into DL4J so that {@code fine-tune} and {@code full} can
 * train it, and writes the trained weights back into the user's own graph. One DL4J vertex per
 * ONNX node, named after the node's output tensor; weights are handed over in Keras layout (the
 * normal {@link KerasWeightLoader} path). The operators PyTorch exports of torchvision/timm CNNs
 * use: Conv (plain, depthwise), BatchNormalization (as a frozen per-channel affine), Relu,
 * LeakyRelu, Clip(0, 6), Sigmoid, Tanh, HardSigmoid, HardSwish, Mul and Add (same shape, or a
 * per-channel gate), Concat, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Flatten,
 * Reshape (between pooled maps and vectors), Gemm, Pad (zeros), Identity and Dropout; constant subgraphs (PyTorch's {@code F.pad}) are
 * evaluated. Any other operator fails naming itself and its node.
 */
final class OnnxImport {

  private static final Set<String> WEIGHTED = Set.of("Conv", "Gemm", "BatchNormalization");
  private static final Set<String> ALIASES = Set.of("Identity", "Dropout");

  private final ModelProto model;
  private final GraphProto graph;
  private final String input;
  private final Map<String, NodeProto> producer = new HashMap<>();
  private final Map<String, TensorProto> initializers = new HashMap<>();
  /** Tensors whose value does not depend on the image. */
  private final Set<String> constants = new HashSet<>();
  private final int size;
  private Map<String, long[]> shapes;

  OnnxImport(ModelProto model, String input, int size) {
    this.model = model;
    this.graph = model.getGraph();
    this.input = input;
    this.size = size;
    graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
    constants.addAll(initializers.keySet());
    for (NodeProto n : graph.getNodeList()) {
      n.getOutputList().forEach(o -> producer.put(o, n));
      boolean constant = n.getInputList().stream().allMatch(i -> i.isEmpty()
          || constants.contains(i));
      if (constant) {
        constants.addAll(n.getOutputList());
      }
    }
  }

  /** @return the tensor an alias (Identity, Dropout) passes on, followed to its source */
  private String resolve(String tensor) {
    NodeProto p = producer.get(tensor);
    while (p != null && ALIASES.contains(p.getOpType()) && !constants.contains(tensor)) {
      tensor = p.getInput(0);
      p = producer.get(tensor);
    }
    return tensor;
  }

  // ---------------------------------------------------------------- structure

  /** @return the non-constant nodes the tensor {@code to} depends on, in graph order */
  private List<NodeProto> between(String from, String to) {
    Set<String> needed = new HashSet<>();
    List<String> todo = new ArrayList<>(List.of(to));
    while (!todo.isEmpty()) {
      String t = todo.remove(todo.size() - 1);
      if (t.equals(from) || constants.contains(t) || !needed.add(t)) {
        continue;
      }
      NodeProto p = producer.get(t);
      if (p != null) {
        p.getInputList().stream().filter(i -> !i.isEmpty()).forEach(todo::add);
      }
    }
    List<NodeProto> out = new ArrayList<>();
    for (NodeProto n : graph.getNodeList()) {
      if (n.getOutputList().stream().anyMatch(needed::contains)) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * Where the network can be cut into units: tensors that every path from the input to {@code
   * cut} passes through and that a weighted layer reads (so a unit holds a layer with its
   * activation, or a whole residual block), ending with {@code cut}.
   */
  List<String> unitBoundaries(String cut) {
    List<NodeProto> nodes = between(input, cut);
    Map<String, Integer> uses = new HashMap<>();
    for (NodeProto n : nodes) {
      for (String i : n.getInputList()) {
        if (!i.isEmpty() && !constants.contains(i)) {
          uses.merge(i, 1, Integer::sum);
        }
      }
    }
    Map<String, NodeProto> firstReader = new HashMap<>();
    for (NodeProto n : nodes) {
      for (String i : n.getInputList()) {
        firstReader.putIfAbsent(i, n);
      }
    }
    Set<String> live = new HashSet<>(List.of(input));
    List<String> boundaries = new ArrayList<>();
    for (NodeProto n : nodes) {
      for (String i : n.getInputList()) {
        if (!i.isEmpty() && !constants.contains(i) && uses.merge(i, -1, Integer::sum) == 0) {
          live.remove(i);
        }
      }
      String out = n.getOutput(0);
      live.add(out);
      NodeProto next = firstReader.get(out);
      boolean weightedNext = next != null && WEIGHTED.contains(next.getOpType());
      if (live.size() == 1 && (out.equals(cut) || weightedNext)
          && !ALIASES.contains(n.getOpType())) {
        boundaries.add(out);
      }
    }
    if (boundaries.isEmpty() || !boundaries.get(boundaries.size() - 1).equals(cut)) {
      boundaries.add(cut);
    }
    return boundaries;
  }

  /** @return every non-constant tensor's shape at batch 1, found by running the graph once */
  Map<String, long[]> shapes() {
    if (shapes != null) {
      return shapes;
    }
    GraphProto.Builder g = graph.toBuilder().clearOutput();
    List<String> names = new ArrayList<>();
    for (NodeProto n : graph.getNodeList()) {
      for (String o : n.getOutputList()) {
        if (!constants.contains(o) && !o.isEmpty()) {
          g.addOutput(value(o, TensorProto.DataType.FLOAT_VALUE));
          names.add(o);
        }
      }
    }
    Map<String, long[]> out = new HashMap<>();
    out.put(input, new long[] {1, 3, size, size});
    run(model.toBuilder().setGraph(g).build(), r -> {
      for (String name : names) {
        out.put(name, ((OnnxTensor) r.get(name).orElseThrow()).getInfo().getShape());
      }
    });
    shapes = out;
    return out;
  }

  // ---------------------------------------------------------------- import

  /**
   * @return the weights of every node Kiln can import, in Keras layout under the DL4J layer
   *     names (the nodes' output tensors), for {@link KerasWeightLoader}
   */
  Map<String, WeightTensor> kerasWeights() {
    Map<String, WeightTensor> weights = new HashMap<>();
    GraphBuilder scratch = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
        .graphBuilder();
    for (NodeProto n : graph.getNodeList()) {
      if (!WEIGHTED.contains(n.getOpType()) || constants.contains(n.getOutput(0))) {
        continue;
      }
      try {
        add(scratch, n, n.getOutput(0), List.of("x"), weights);
      } catch (IllegalArgumentException notImportable) {
        // trained only if its part of the graph is imported, which then fails with the reason
      }
    }
    return weights;
  }

  /**
   * Adds the nodes from {@code from} (exclusive; it is the vertex {@code fromVertex}) to {@code
   * to} (inclusive) as DL4J vertices named after their output tensors.
   *
   * @param weights receives each weighted layer's weights in Keras layout
   * @return channels of {@code to}
   * @throws IllegalArgumentException for an operator outside the subset
   */
  int addNodes(GraphBuilder b, String from, String fromVertex, String to,
      Map<String, WeightTensor> weights) {
    Map<String, String> vertex = new HashMap<>();
    vertex.put(from, fromVertex);
    for (NodeProto n : between(from, to)) {
      String name = n.getOutput(0);
      if (ALIASES.contains(n.getOpType())) {
        String src = vertex.get(resolve(n.getInput(0)));
        if (name.equals(to)) { // the cut must be a vertex of that name
          b.addLayer(name, new ActivationLayer(Activation.IDENTITY), src);
          vertex.put(name, name);
        } else {
          vertex.put(name, src);
        }
        continue;
      }
      List<String> in = new ArrayList<>();
      for (String i : n.getInputList()) {
        if (!i.isEmpty() && !constants.contains(i)) {
          String v = vertex.get(resolve(i));
          if (v == null) {
            throw new IllegalStateException("node " + n.getName() + " reads " + i
                + ", which is not computed from " + from);
          }
          in.add(v);
        }
      }
      add(b, n, name, in, weights);
      vertex.put(name, name);
    }
    return (int) shapes().get(to)[1];
  }

  private void add(GraphBuilder b, NodeProto n, String name, List<String> in,
      Map<String, WeightTensor> weights) {
    String op = n.getOpType();
    String x = in.isEmpty() ? null : in.get(0);
    switch (op) {
      case "Conv" -> conv(b, n, name, x, weights);
      case "BatchNormalization" -> batchNorm(b, n, name, x, weights);
      case "Relu" -> b.addLayer(name, new ActivationLayer(Activation.RELU), x);
      case "LeakyRelu" -> b.addLayer(name, new ActivationLayer(
          new ActivationLReLU(floatAttr(n, "alpha", 0.01f))), x);
      case "Sigmoid" -> b.addLayer(name, new ActivationLayer(Activation.SIGMOID), x);
      case "Tanh" -> b.addLayer(name, new ActivationLayer(Activation.TANH), x);
      case "HardSigmoid" -> b.addLayer(name, new ActivationLayer(new ActivationScaledHardSigmoid(
          floatAttr(n, "alpha", 0.2f), floatAttr(n, "beta", 0.5f))), x);
      case "HardSwish" -> b.addLayer(name, new ActivationLayer(new ActivationHardSwish()), x);
      case "Clip" -> clip(b, n, name, x);
      case "Mul", "Add" -> binary(b, n, name, in);
      case "Concat" -> {
        if (intAttr(n, "axis", 1) != 1) {
          throw unsupported(n, "a concatenation along axis " + intAttr(n, "axis", 1)
              + " (only channels, axis 1)");
        }
        b.addVertex(name, new MergeVertex(), in.toArray(String[]::new));
      }
      case "MaxPool", "AveragePool" -> pool(b, n, name, x);
      case "GlobalAveragePool", "GlobalMaxPool" -> b.addLayer(name,
          new GlobalPoolingLayer.Builder(op.equals("GlobalMaxPool") ? PoolingType.MAX
              : PoolingType.AVG).collapseDimensions(false).build(), x);
      case "Flatten" -> {
        long[] s = shapes().get(n.getInput(0));
        if (s.length != 4 || s[2] != 1 || s[3] != 1) {
          throw unsupported(n, "a Flatten of a " + java.util.Arrays.toString(s)
              + " map (only of pooled [N, C, 1, 1] maps)");
        }
        b.addLayer(name, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
      }
      case "Reshape" -> reshape(b, n, name, x);
      case "Gemm" -> gemm(b, n, name, x, weights);
      case "Pad" -> pad(b, n, name, x);
      default -> throw unsupported(n, "operator " + op);
    }
  }

  private void conv(GraphBuilder b, NodeProto n, String name, String x,
      Map<String, WeightTensor> weights) {
    TensorProto w = constant(n.getInput(1));
    long[] d = dims(w); // [out, in/group, kH, kW]
    long group = intAttr(n, "group", 1);
    long channels = shapes().get(n.getInput(0))[1];
    int[] k = {(int) d[2], (int) d[3]};
    int[] stride = ints(n, "strides", 1, 1);
    int[] dilation = ints(n, "dilations", 1, 1);
    int[] pads = ints(n, "pads", 0, 0, 0, 0); // top, left, bottom, right
    String autoPad = stringAttr(n, "auto_pad", "NOTSET");
    ConvolutionMode mode = ConvolutionMode.Truncate;
    if (autoPad.equals("SAME_UPPER")) {
      mode = ConvolutionMode.Same;
      pads = new int[4];
    } else if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) {
      throw unsupported(n, "auto_pad " + autoPad);
    }
    String src = x;
    if (pads[0] != pads[2] || pads[1] != pads[3]) { // asymmetric: explicit zero padding first
      src = name + "/kiln_pad";
      b.addLayer(src, new ZeroPaddingLayer.Builder(pads[0], pads[2], pads[1], pads[3]).build(), x);
      pads = new int[4];
    }
    boolean bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty();
    float[] data = OnnxGraph.floats(w);
    if (group == 1) {
      b.addLayer(name, new ConvolutionLayer.Builder(k).stride(stride).padding(pads[0], pads[1])
          .dilation(dilation).nIn(channels).nOut(d[0]).hasBias(bias).convolutionMode(mode)
          .activation(Activation.IDENTITY).build(), src);
      // Keras layout [kH, kW, in, out]
      INDArray a = Nd4j.create(data, d, 'c').permute(2, 3, 1, 0).dup('c');
      weights.put(name + "/kernel", new WeightTensor(a.shape(), a.data().asFloat()));
    } else if (group == channels && d[1] == 1) {
      long mult = d[0] / channels;
      b.addLayer(name, new DepthwiseConvolution2D.Builder(k).stride(stride)
          .padding(pads[0], pads[1]).dilation(dilation).nIn(channels).depthMultiplier((int) mult)
          .hasBias(bias).convolutionMode(mode).activation(Activation.IDENTITY).build(), src);
      // [C·mult, 1, kH, kW] → [C, mult, kH, kW] → Keras [kH, kW, C, mult]
      INDArray a = Nd4j.create(data, new long[] {channels, mult, d[2], d[3]}, 'c')
          .permute(2, 3, 0, 1).dup('c');
      weights.put(name + "/depthwise_kernel", new WeightTensor(a.shape(), a.data().asFloat()));
    } else {
      throw unsupported(n, "a grouped convolution (" + group + " groups of " + channels
          + " channels; DL4J has plain and depthwise convolutions only)");
    }
    if (bias) {
      float[] v = OnnxGraph.floats(constant(n.getInput(2)));
      weights.put(name + "/bias", new WeightTensor(new long[] {v.length}, v));
    }
  }

  /** BatchNorm in inference form: a frozen per-channel affine (1×1 depthwise, with bias). */
  private void batchNorm(GraphBuilder b, NodeProto n, String name, String x,
      Map<String, WeightTensor> weights) {
    float[] gamma = OnnxGraph.floats(constant(n.getInput(1)));
    float[] beta = OnnxGraph.floats(constant(n.getInput(2)));
    float[] mean = OnnxGraph.floats(constant(n.getInput(3)));
    float[] var = OnnxGraph.floats(constant(n.getInput(4)));
    double eps = floatAttr(n, "epsilon", 1e-5f);
    int c = gamma.length;
    float[] scale = new float[c];
    float[] shift = new float[c];
    for (int i = 0; i < c; i++) {
      double s = gamma[i] / Math.sqrt(var[i] + eps);
      scale[i] = (float) s;
      shift[i] = (float) (beta[i] - mean[i] * s);
    }
    b.addLayer(name, FamilyParts.frozenBatchNorm(name, c), x);
    weights.put(name + "/depthwise_kernel", new WeightTensor(new long[] {1, 1, c, 1}, scale));
    weights.put(name + "/bias", new WeightTensor(new long[] {c}, shift));
  }

  private void clip(GraphBuilder b, NodeProto n, String name, String x) {
    float min = n.getInputCount() > 1 && !n.getInput(1).isEmpty()
        ? OnnxGraph.floats(constant(n.getInput(1)))[0]
        : floatAttr(n, "min", Float.NEGATIVE_INFINITY);
    float max = n.getInputCount() > 2 && !n.getInput(2).isEmpty()
        ? OnnxGraph.floats(constant(n.getInput(2)))[0]
        : floatAttr(n, "max", Float.POSITIVE_INFINITY);
    if (min == 0 && max == 6) {
      b.addLayer(name, new ActivationLayer(Activation.RELU6), x);
    } else if (min == 0 && max == Float.POSITIVE_INFINITY) {
      b.addLayer(name, new ActivationLayer(Activation.RELU), x);
    } else {
      throw unsupported(n, "Clip(" + min + ", " + max + ") (only ReLU6 and ReLU)");
    }
  }

  private void binary(GraphBuilder b, NodeProto n, String name, List<String> in) {
    if (in.size() != 2) {
      throw unsupported(n, n.getOpType() + " with a constant (only of two computed tensors)");
    }
    long[] a = shapes().get(resolve(n.getInput(0)));
    long[] c = shapes().get(resolve(n.getInput(1)));
    if (java.util.Arrays.equals(a, c)) {
      b.addVertex(name, new ElementWiseVertex(n.getOpType().equals("Mul")
          ? ElementWiseVertex.Op.Product : ElementWiseVertex.Op.Add), in.get(0), in.get(1));
    } else if (n.getOpType().equals("Mul") && gate(a, c)) {
      b.addVertex(name, new ChannelScaleVertex(), in.get(0), in.get(1));
    } else if (n.getOpType().equals("Mul") && gate(c, a)) {
      b.addVertex(name, new ChannelScaleVertex(), in.get(1), in.get(0));
    } else {
      throw unsupported(n, n.getOpType() + " of shapes " + java.util.Arrays.toString(a)
          + " and " + java.util.Arrays.toString(c) + " (equal shapes, or a [N, C, 1, 1] gate)");
    }
  }

  private static boolean gate(long[] map, long[] gate) {
    return map.length == 4 && gate.length == 4 && map[1] == gate[1] && gate[2] == 1
        && gate[3] == 1;
  }

  private void pool(GraphBuilder b, NodeProto n, String name, String x) {
    if (intAttr(n, "ceil_mode", 0) != 0) {
      throw unsupported(n, "ceil_mode 1 pooling");
    }
    int[] k = ints(n, "kernel_shape");
    int[] stride = ints(n, "strides", 1, 1);
    int[] pads = ints(n, "pads", 0, 0, 0, 0);
    if (pads[0] != pads[2] || pads[1] != pads[3]) {
      throw unsupported(n, "asymmetric pooling pads " + java.util.Arrays.toString(pads));
    }
    boolean max = n.getOpType().equals("MaxPool");
    b.addLayer(name, new SubsamplingLayer.Builder(max ? PoolingType.MAX : PoolingType.AVG)
        .kernelSize(k).stride(stride).padding(pads[0], pads[1])
        .convolutionMode(ConvolutionMode.Truncate)
        .avgPoolIncludePadInDivisor(intAttr(n, "count_include_pad", 0) != 0).build(), x);
  }

  /** A Reshape between a pooled map {@code [N, C, 1, 1]} and a vector {@code [N, C]}. */
  private void reshape(GraphBuilder b, NodeProto n, String name, String x) {
    long[] in = shapes().get(n.getInput(0));
    long[] out = shapes().get(name);
    if (in.length == 4 && in[2] == 1 && in[3] == 1 && out.length == 2 && out[1] == in[1]) {
      b.addLayer(name, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
    } else if (in.length == 2 && out.length == 4 && out[1] == in[1] && out[2] == 1
        && out[3] == 1) {
      b.addVertex(name, new org.deeplearning4j.nn.conf.graph.ReshapeVertex('c',
          new int[] {-1, (int) in[1], 1, 1}, null), x);
    } else {
      throw unsupported(n, "a Reshape of " + java.util.Arrays.toString(in) + " to "
          + java.util.Arrays.toString(out) + " (only between [N, C, 1, 1] and [N, C])");
    }
  }

  private void gemm(GraphBuilder b, NodeProto n, String name, String x,
      Map<String, WeightTensor> weights) {
    TensorProto w = constant(n.getInput(1));
    long[] d = dims(w);
    boolean transB = intAttr(n, "transB", 0) != 0;
    if (intAttr(n, "transA", 0) != 0 || floatAttr(n, "alpha", 1f) != 1f) {
      throw unsupported(n, "Gemm with transA or alpha");
    }
    long nIn = transB ? d[1] : d[0];
    long nOut = transB ? d[0] : d[1];
    boolean bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty();
    b.addLayer(name, new DenseLayer.Builder().nIn(nIn).nOut(nOut).hasBias(bias)
        .activation(Activation.IDENTITY).build(), x);
    INDArray a = Nd4j.create(OnnxGraph.floats(w), d, 'c');
    INDArray kernel = (transB ? a.transpose() : a).dup('c'); // Keras [in, out]
    weights.put(name + "/kernel", new WeightTensor(kernel.shape(), kernel.data().asFloat()));
    if (bias) {
      float[] v = OnnxGraph.floats(constant(n.getInput(2)));
      weights.put(name + "/bias", new WeightTensor(new long[] {v.length}, v));
    }
  }

  private void pad(GraphBuilder b, NodeProto n, String name, String x) {
    if (!stringAttr(n, "mode", "constant").equals("constant")
        || n.getInputCount() > 2 && !n.getInput(2).isEmpty()
        && OnnxGraph.floats(constant(n.getInput(2)))[0] != 0f) {
      throw unsupported(n, "a Pad other than with zeros");
    }
    long[] p = int64s(n.getInput(1)); // begins of N, C, H, W then ends
    if (p.length != 8 || p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0) {
      throw unsupported(n, "a Pad of other axes than height and width: "
          + java.util.Arrays.toString(p));
    }
    b.addLayer(name, new ZeroPaddingLayer.Builder((int) p[2], (int) p[6], (int) p[3],
        (int) p[7]).build(), x);
  }

  private IllegalArgumentException unsupported(NodeProto n, String what) {
    return new IllegalArgumentException(what + " in node '" + n.getName() + "' (output "
        + n.getOutput(0) + ") is outside the operators Kiln imports into DL4J for training;"
        + " mode feature-extractor works with any graph, or set fineTuneBlocks so that only"
        + " the layers after it are trained");
  }

  // ---------------------------------------------------------------- write back

  /**
   * @param trained the trained network whose vertices are named after the graph's tensors
   * @return the user's graph with each imported layer's trained weights as new initialisers
   */
  ModelProto writeBack(ComputationGraph trained) {
    GraphProto.Builder g = graph.toBuilder();
    Map<String, TensorProto> added = new LinkedHashMap<>();
    for (NodeProto.Builder n : g.getNodeBuilderList()) {
      String name = n.getOutputCount() == 0 ? "" : n.getOutput(0);
      if (!WEIGHTED.contains(n.getOpType()) || trained.getVertex(name) == null
          || !trained.getVertex(name).hasLayer()) {
        continue;
      }
      var layer = trained.getLayer(name);
      String prefix = "kiln_trained/" + name + "/";
      switch (n.getOpType()) {
        case "Conv" -> {
          INDArray w = layer.getParam("W");
          INDArray onnx = layer.conf().getLayer() instanceof DepthwiseConvolution2D
              ? w.permute(2, 3, 0, 1).dup('c').reshape('c', w.size(2) * w.size(3), 1, w.size(0),
                  w.size(1))
              : w;
          n.setInput(1, put(added, prefix + "W", onnx));
          if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
            n.setInput(2, put(added, prefix + "B", layer.getParam("b")));
          }
        }
        case "Gemm" -> {
          boolean transB = n.getAttributeList().stream().anyMatch(a -> a.getName().equals("transB")
              && a.getI() != 0);
          INDArray w = layer.getParam("W"); // [in, out]
          n.setInput(1, put(added, prefix + "W", transB ? w.transpose() : w));
          if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
            n.setInput(2, put(added, prefix + "B", layer.getParam("b")));
          }
        }
        default -> { // BatchNormalization: y = s·x + t as scale s, bias t, mean 0, var 1 − ε
          INDArray s = layer.getParam("W");
          INDArray t = layer.getParam("b");
          double eps = n.getAttributeList().stream().filter(a -> a.getName().equals("epsilon"))
              .map(a -> (double) a.getF()).findFirst().orElse(1e-5);
          n.setInput(1, put(added, prefix + "scale", s));
          n.setInput(2, put(added, prefix + "B", t));
          n.setInput(3, put(added, prefix + "mean", Nd4j.zeros(t.length())));
          n.setInput(4, put(added, prefix + "var",
              Nd4j.valueArrayOf(new long[] {t.length()}, 1.0 - eps)));
        }
      }
    }
    g.addAllInitializer(added.values());
    // initialisers nothing reads any more
    Set<String> read = new HashSet<>();
    g.getNodeList().forEach(n -> read.addAll(n.getInputList()));
    List<TensorProto> kept = g.getInitializerList().stream()
        .filter(t -> read.contains(t.getName())).toList();
    g.clearInitializer().addAllInitializer(kept);
    return model.toBuilder().setGraph(g).build();
  }

  /** Adds {@code value} as a float initialiser (a vector for biases and BatchNorm parts). */
  private static String put(Map<String, TensorProto> added, String name, INDArray value) {
    float[] v = value.dup('c').castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).data()
        .asFloat();
    boolean vector = name.endsWith("/B") || name.endsWith("/scale") || name.endsWith("/mean")
        || name.endsWith("/var");
    added.put(name, OnnxGraph.floatTensor(name, vector ? new long[] {v.length} : value.shape(),
        v));
    return name;
  }

  // ---------------------------------------------------------------- constants

  /** @return the constant tensor (an initialiser, a Constant node, or computed) */
  private TensorProto constant(String tensor) {
    String t = resolveConstant(tensor);
    TensorProto init = initializers.get(t);
    if (init != null) {
      return init;
    }
    NodeProto p = producer.get(t);
    if (p != null && p.getOpType().equals("Constant")) {
      for (AttributeProto a : p.getAttributeList()) {
        if (a.getName().equals("value") && a.hasT()) {
          return a.getT();
        }
      }
    }
    throw new IllegalArgumentException("tensor " + tensor + " is not a stored constant");
  }

  private String resolveConstant(String tensor) {
    NodeProto p = producer.get(tensor);
    while (p != null && p.getOpType().equals("Identity")) {
      tensor = p.getInput(0);
      p = producer.get(tensor);
    }
    return tensor;
  }

  /** @return an int64 constant, stored or computed by running its constant subgraph */
  private long[] int64s(String tensor) {
    try {
      TensorProto t = constant(tensor);
      if (t.getInt64DataCount() > 0) {
        return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
      }
      ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      long[] v = new long[b.remaining() / 8];
      b.asLongBuffer().get(v);
      return v;
    } catch (IllegalArgumentException computed) {
      GraphProto.Builder g = graph.toBuilder().clearOutput()
          .addOutput(value(tensor, TensorProto.DataType.INT64_VALUE));
      long[][] out = new long[1][];
      run(model.toBuilder().setGraph(g).build(),
          r -> out[0] = (long[]) ((OnnxTensor) r.get(0)).getValue());
      return out[0];
    }
  }

  private static long[] dims(TensorProto t) {
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  private static AttributeProto attr(NodeProto n, String name) {
    return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
        .orElse(null);
  }

  private static long intAttr(NodeProto n, String name, long otherwise) {
    AttributeProto a = attr(n, name);
    return a == null ? otherwise : a.getI();
  }

  private static float floatAttr(NodeProto n, String name, float otherwise) {
    AttributeProto a = attr(n, name);
    return a == null ? otherwise : a.getF();
  }

  private static String stringAttr(NodeProto n, String name, String otherwise) {
    AttributeProto a = attr(n, name);
    return a == null ? otherwise : a.getS().toStringUtf8();
  }

  private static int[] ints(NodeProto n, String name, int... otherwise) {
    AttributeProto a = attr(n, name);
    return a == null ? otherwise : a.getIntsList().stream().mapToInt(Long::intValue).toArray();
  }

  private static ValueInfoProto value(String name, int type) {
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type))).build();
  }

  @FunctionalInterface
  private interface Reader {
    void read(OrtSession.Result r) throws OrtException;
  }

  private void run(ModelProto m, Reader reader) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession s = env.createSession(m.toByteArray(), so);
          OnnxTensor x = OnnxTensor.createTensor(env,
              FloatBuffer.wrap(new float[3 * size * size]), new long[] {1, 3, size, size});
          OrtSession.Result r = s.run(Map.of(input, x))) {
        reader.read(r);
      }
    } catch (OrtException e) {
      throw new IllegalArgumentException("ONNX Runtime cannot run the model: " + e.getMessage(),
          e);
    }
  }
}
