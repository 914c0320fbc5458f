package dev.kiln.maven.export;

import dev.kiln.onnx.OnnxGraph;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.OperatorSetIdProto;
import dev.kiln.onnx.OnnxProto.StringStringEntryProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import dev.kiln.onnx.OnnxProto.ValueInfoProto;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Work on ONNX models Kiln did not write (a user's PyTorch export): find where to cut the graph,
 * measure a tensor's shape by running it, and assemble the graph Kiln runs and ships — the
 * user's nodes up to the cut, unchanged, with Kiln's normalisation in front, global pooling after,
 * and (for the shipped model) the trained head and softmax last. Models that keep their weights in
 * external files are refused.
 */
public final class OnnxSurgery {

  /**
   * @param tensor the tensor the graph is cut at
   * @param why how it was chosen, for the log
   */
  public record Cut(String tensor, String why) {}

  private static final Set<String> POOLS = Set.of("GlobalAveragePool", "GlobalMaxPool",
      "ReduceMean");

  /** The prefix of the user's tensor and node names in the assembled graph. */
  static final String USER = "backbone/";

  /** The highest opset whose operators Kiln's added nodes are written for. */
  static final int MAX_OPSET = 17;

  private OnnxSurgery() {}

  /**
   * @param onnx a serialised model
   * @return the parsed model
   * @throws IllegalArgumentException when it is not ONNX, keeps weights in external files, or uses
   *     an opset Kiln does not write for
   */
  public static ModelProto parse(byte[] onnx) {
    ModelProto m;
    try {
      m = ModelProto.parseFrom(onnx);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
    }
    if (!m.hasGraph() || m.getGraph().getNodeCount() == 0) {
      throw new IllegalArgumentException("not an ONNX model: it has no graph");
    }
    for (TensorProto t : m.getGraph().getInitializerList()) {
      if (t.getDataLocation() == 1 || t.getExternalDataCount() > 0) {
        throw new IllegalArgumentException("the model keeps its weights in external data files"
            + " (initializer '" + t.getName() + "'); save it as one file: torch.onnx.export(...)"
            + " without external data, or onnx.save_model(model, path,"
            + " save_as_external_data=False)");
      }
    }
    long opset = opset(m);
    if (opset < 11 || opset > MAX_OPSET) {
      throw new IllegalArgumentException("the model uses ONNX opset " + opset + "; Kiln takes"
          + " opsets 11 to " + MAX_OPSET + " (torch.onnx.export(..., opset_version=13))");
    }
    if (m.getGraph().getInputCount() - m.getGraph().getInitializerCount() > 1
        && countRealInputs(m.getGraph()) != 1) {
      throw new IllegalArgumentException("the model has " + countRealInputs(m.getGraph())
          + " inputs; a backbone takes one image tensor");
    }
    return m;
  }

  private static int countRealInputs(GraphProto g) {
    Set<String> inits = new HashSet<>();
    g.getInitializerList().forEach(t -> inits.add(t.getName()));
    return (int) g.getInputList().stream().filter(i -> !inits.contains(i.getName())).count();
  }

  private static long opset(ModelProto m) {
    return m.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty()
        || o.getDomain().equals("ai.onnx")).mapToLong(OperatorSetIdProto::getVersion)
        .findFirst().orElse(1);
  }

  /** @return the name of the model's image input */
  public static String inputName(ModelProto m) {
    Set<String> inits = new HashSet<>();
    m.getGraph().getInitializerList().forEach(t -> inits.add(t.getName()));
    return m.getGraph().getInputList().stream().map(ValueInfoProto::getName)
        .filter(n -> !inits.contains(n)).findFirst().orElseThrow();
  }

  /**
   * @param onnx a model
   * @param tensor one of its tensors
   * @return the model with that tensor as its only output (for reading it on ONNX Runtime)
   */
  public static byte[] exposing(byte[] onnx, String tensor) {
    ModelProto m = parse(onnx);
    return m.toBuilder().setGraph(m.getGraph().toBuilder().clearOutput()
        .addOutput(OnnxGraph.floatValue(tensor, (long[]) null))).build().toByteArray();
  }

  /** Operators a classifier after the backbone is made of (walked back from the output). */
  private static final Set<String> CLASSIFIER = Set.of("Gemm", "MatMul", "Add", "Relu", "Clip",
      "HardSigmoid", "HardSwish", "Sigmoid", "Mul", "Dropout", "Flatten", "Reshape", "Squeeze",
      "Identity", "Softmax", "LogSoftmax");

  /**
   * The default cut: walking back from the first output through the classifier (Gemm/MatMul
   * layers, their activations, dropout, flatten), the feature map that its global pooling reads;
   * a classifier without global pooling is cut at its input; a model without a classifier at its
   * first output. Squeeze-and-excite blocks inside the backbone (pooling, Gemm, gate) are never
   * taken for the classifier: the walk starts at the end.
   */
  public static Cut defaultCut(ModelProto m) {
    Map<String, NodeProto> producer = OnnxGraph.producers(m.getGraph());
    Set<String> constants = new HashSet<>();
    m.getGraph().getInitializerList().forEach(t -> constants.add(t.getName()));
    m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Constant"))
        .forEach(n -> constants.addAll(n.getOutputList()));
    String output = m.getGraph().getOutput(0).getName();
    String t = output;
    NodeProto gemm = null;
    NodeProto p = producer.get(t);
    while (p != null && CLASSIFIER.contains(p.getOpType())) {
      if (p.getOpType().equals("Gemm") || p.getOpType().equals("MatMul")) {
        gemm = p;
      }
      String next = p.getInputList().stream().filter(i -> !i.isEmpty() && !constants.contains(i))
          .findFirst().orElse(null);
      if (next == null) {
        break;
      }
      t = next;
      p = producer.get(t);
    }
    if (gemm == null) {
      return new Cut(output, "the model's first output (it has no classifier)");
    }
    if (p != null && POOLS.contains(p.getOpType())) {
      return new Cut(p.getInput(0), "the input of the classifier's global pooling ("
          + p.getOpType() + " before " + gemm.getOpType() + " '" + gemm.getName() + "')");
    }
    return new Cut(t, "the input of the classifier (" + gemm.getOpType() + " '"
        + gemm.getName() + "')");
  }

  /** @return the names of every tensor the graph has (inputs, initializers, node outputs) */
  public static Set<String> tensors(ModelProto m) {
    Set<String> names = new HashSet<>();
    m.getGraph().getInputList().forEach(v -> names.add(v.getName()));
    m.getGraph().getInitializerList().forEach(t -> names.add(t.getName()));
    m.getGraph().getNodeList().forEach(n -> names.addAll(n.getOutputList()));
    return names;
  }

  /**
   * Runs the model once on a zero image and returns a tensor's shape: exports declare feature-map
   * sizes symbolically, or not at all.
   *
   * @param m the model
   * @param tensor a tensor of it
   * @param size the input's height and width
   * @return the shape, batch first (batch 1)
   */
  public static long[] shapeOf(ModelProto m, String tensor, int size) {
    ModelProto probe = m.toBuilder().setGraph(m.getGraph().toBuilder().clearOutput()
        .addOutput(OnnxGraph.floatValue(tensor, (long[]) null))).build();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        OrtSession s = env.createSession(probe.toByteArray(), so);
        OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[3 * size * size]),
            new long[] {1, 3, size, size});
        OrtSession.Result r = s.run(Map.of(inputName(m), x))) {
      return ((OnnxTensor) r.get(0)).getInfo().getShape();
    } catch (OrtException e) {
      throw new IllegalArgumentException("ONNX Runtime cannot run the model to tensor '" + tensor
          + "' at " + size + "x" + size + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param model the user's model
   * @param cut the tensor the features are taken from
   * @param shape the cut's shape, batch first ({@link #shapeOf})
   * @param normalization what turns raw 0..255 RGB into the model's input (put in front)
   * @param maxPooling global max instead of average pooling (for a spatial cut)
   * @return a model: raw image {@code input} → {@code features} {@code [N, C]}
   */
  public static byte[] features(ModelProto model, String cut, long[] shape,
      Preprocessing normalization, boolean maxPooling) {
    return assemble(model, cut, shape, normalization, maxPooling ? "GlobalMaxPool"
        : "GlobalAveragePool", null, false, Map.of()).toByteArray();
  }

  /**
   * @param model the user's model
   * @param tensor a feature map of it
   * @param shape its shape, batch first ({@link #shapeOf})
   * @param normalization what turns raw 0..255 RGB into the model's input
   * @return a model: raw image {@code input} → that map as {@code features [N, C, H, W]}
   */
  public static byte[] featureMaps(ModelProto model, String tensor, long[] shape,
      Preprocessing normalization) {
    return assemble(model, tensor, shape, normalization, null, null, false, Map.of())
        .toByteArray();
  }

  /**
   * The shipped model: the user's graph up to the cut, unchanged, stitched to the trained head.
   *
   * @param model the user's model
   * @param cut the tensor the features are taken from
   * @param shape the cut's shape, batch first ({@link #shapeOf})
   * @param normalization what turns raw 0..255 RGB into the model's input
   * @param maxPooling global max instead of average pooling
   * @param head the head exported alone ({@link OnnxExporter} with a {@code [N, C]} input named
   *     {@code input}), softmax last
   * @param flip test-time flip: each photo and its mirror image, averaged
   * @param metadata {@code metadata_props}
   * @return the model: raw image {@code input} → {@code probabilities}
   */
  public static byte[] classifier(ModelProto model, String cut, long[] shape,
      Preprocessing normalization, boolean maxPooling, byte[] head, boolean flip,
      Map<String, String> metadata) {
    ModelProto h;
    try {
      h = ModelProto.parseFrom(head);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(e);
    }
    return assemble(model, cut, shape, normalization, maxPooling ? "GlobalMaxPool"
        : "GlobalAveragePool", h, flip, metadata).toByteArray();
  }

  /** @param pool the global pooling after a spatial cut, or null to output the map itself */
  private static ModelProto assemble(ModelProto model, String cut, long[] shape,
      Preprocessing normalization, String pool, ModelProto head, boolean flip,
      Map<String, String> metadata) {
    GraphProto userGraph = model.getGraph();
    String userInput = inputName(model);
    if (!tensors(model).contains(cut)) {
      throw new IllegalArgumentException("the model has no tensor '" + cut + "'");
    }
    OnnxGraph g = new OnnxGraph();
    g.graph.setName("kiln");
    int size = normalization.height();
    g.graph.addInput(OnnxGraph.floatValue(OnnxExporter.INPUT, -1, 3, size, normalization.width()));
    String x = OnnxExporter.normalization(g, normalization);
    if (flip) {
      x = OnnxExporter.mirrorBatch(g, x);
    }
    String entry = "kiln_backbone_input";
    g.node("Identity", entry, entry, x);
    // the user's nodes the cut needs, in their order, reading Kiln's normalised input; every
    // user tensor is prefixed, so that no name can clash with Kiln's own
    String userCut = g.addAncestors(userGraph, cut, USER, userInput, entry);
    String features = "features";
    if (shape.length == 4 && pool == null) {
      g.node("Identity", features, features, userCut);
      g.graph.addOutput(OnnxGraph.floatValue(features, -1, shape[1], shape[2], shape[3]));
      return model(model, g, cut, metadata);
    }
    if (shape.length == 4) {
      String pooled = "kiln_pooled";
      g.node(pool, pooled, pooled, userCut);
      g.node("Flatten", features, features, pooled).addAttribute(OnnxGraph.integer("axis", 1));
    } else if (shape.length == 2) {
      g.node("Identity", features, features, userCut);
    } else {
      throw new IllegalArgumentException("cut tensor '" + cut + "' has shape "
          + java.util.Arrays.toString(shape) + "; a cut is a feature map [N, C, H, W] or a"
          + " vector [N, C]");
    }
    long width = shape[1];
    String output;
    if (head == null) {
      output = features;
      g.graph.addOutput(OnnxGraph.floatValue(features, -1, width));
    } else {
      output = stitchHead(g, head, features);
      if (flip) {
        output = OnnxExporter.meanOfHalves(g, output, classes(head));
      }
      g.node("Identity", "kiln_output", "probabilities", output);
      output = "probabilities";
      g.graph.addOutput(OnnxGraph.floatValue(output, -1, classes(head)));
    }
    return model(model, g, cut, metadata);
  }

  private static ModelProto model(ModelProto model, OnnxGraph g, String cut,
      Map<String, String> metadata) {
    ModelProto.Builder out = ModelProto.newBuilder()
        .setIrVersion(Math.max(model.getIrVersion(), OnnxExporter.IR_VERSION))
        .addAllOpsetImport(model.getOpsetImportList())
        .setProducerName("kiln")
        .setProducerVersion(OnnxExporter.class.getPackage().getImplementationVersion() == null
            ? "dev" : OnnxExporter.class.getPackage().getImplementationVersion())
        .setDocString("backbone: " + model.getProducerName() + " " + model.getProducerVersion()
            + " export, cut at " + cut)
        .setGraph(g.graph);
    metadata.forEach((k, v) ->
        out.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return out.build();
  }

  private static long classes(ModelProto head) {
    return head.getGraph().getOutput(0).getType().getTensorType().getShape().getDim(1)
        .getDimValue();
  }

  /** Copies the head's nodes, reading {@code features}, with its names prefixed. */
  private static String stitchHead(OnnxGraph g, ModelProto head, String features) {
    String headInput = head.getGraph().getInput(0).getName();
    String prefix = "kiln_head/";
    java.util.function.UnaryOperator<String> rename = t -> t.isEmpty() ? t
        : t.equals(headInput) ? features : prefix + t;
    for (NodeProto n : head.getGraph().getNodeList()) {
      NodeProto.Builder b = n.toBuilder().setName(prefix + n.getName());
      for (int i = 0; i < b.getInputCount(); i++) {
        b.setInput(i, rename.apply(b.getInput(i)));
      }
      for (int i = 0; i < b.getOutputCount(); i++) {
        b.setOutput(i, rename.apply(b.getOutput(i)));
      }
      g.graph.addNode(b);
    }
    for (TensorProto t : head.getGraph().getInitializerList()) {
      g.graph.addInitializer(t.toBuilder().setName(prefix + t.getName()));
    }
    return prefix + head.getGraph().getOutput(0).getName();
  }
}
