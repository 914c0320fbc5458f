package dev.kiln.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.onnx.OnnxProto.AttributeProto;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import dev.kiln.onnx.OnnxProto.TensorShapeProto;
import dev.kiln.onnx.OnnxProto.TypeProto;
import dev.kiln.onnx.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small builder over the ONNX protobuf messages — nodes, initialisers, typed values, the input
 * normalisation — and the helpers that read them: float tensors' values, the nodes a tensor
 * depends on. Shared by the plugin's exporter and graph surgery and by kiln-spark's export.
 */
public final class OnnxGraph {

  /** The graph being built. */
  public final GraphProto.Builder graph = GraphProto.newBuilder();
  private int counter;

  /** @return {@code base} with a number that makes it unique in this graph */
  public String unique(String base) {
    return base + "_" + (counter++);
  }

  /** Adds a node; @return it, for attributes */
  public NodeProto.Builder node(String op, String name, String output, String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
    for (String in : inputs) {
      n.addInput(in);
    }
    graph.addNode(n);
    return graph.getNodeBuilder(graph.getNodeCount() - 1);
  }

  /** Adds a float initialiser; @return its name */
  public String initializer(String name, long[] dims, float[] data) {
    graph.addInitializer(floatTensor(name, dims, data));
    return name;
  }

  /** @return a float32 tensor with its values as little-endian raw data */
  public static TensorProto floatTensor(String name, long[] dims, float[] data) {
    ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(data);
    return tensor(name, dims, TensorProto.DataType.FLOAT_VALUE, buf.array());
  }

  /** @return a tensor of any element type from its little-endian raw bytes */
  public static TensorProto tensor(String name, long[] dims, int type, byte[] raw) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type)
        .setRawData(ByteString.copyFrom(raw));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  /**
   * @param t a float32 tensor (values as {@code float_data} or raw bytes)
   * @return its values
   * @throws IllegalArgumentException when it is not float32
   */
  public static float[] floats(TensorProto t) {
    if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      throw new IllegalArgumentException("tensor " + t.getName() + " is not float32");
    }
    if (t.getFloatDataCount() > 0) {
      float[] v = new float[t.getFloatDataCount()];
      for (int i = 0; i < v.length; i++) {
        v[i] = t.getFloatData(i);
      }
      return v;
    }
    FloatBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer();
    float[] v = new float[b.remaining()];
    b.get(v);
    return v;
  }

  /** @return each tensor's producing node */
  public static Map<String, NodeProto> producers(GraphProto g) {
    Map<String, NodeProto> producer = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String o : n.getOutputList()) {
        producer.put(o, n);
      }
    }
    return producer;
  }

  /**
   * @param g a graph
   * @param tensor one of its tensors
   * @return the nodes {@code tensor} depends on (its producer included), in the graph's order
   */
  public static List<NodeProto> ancestors(GraphProto g, String tensor) {
    Map<String, NodeProto> producer = producers(g);
    Set<NodeProto> keep = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(tensor));
    while (!todo.isEmpty()) {
      String t = todo.pop();
      NodeProto p = producer.get(t);
      if (!seen.add(t) || p == null) {
        continue; // a graph input, an initialiser, or seen
      }
      keep.add(p);
      p.getInputList().stream().filter(i -> !i.isEmpty()).forEach(todo::push);
    }
    List<NodeProto> out = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      if (keep.contains(n)) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * Copies into this graph the nodes of {@code user} that {@code tensor} depends on, unchanged
   * but for their names: every node and tensor name gets {@code prefix} (so none can clash with
   * this graph's own), and the user's input {@code userInput} is read from {@code entry}. The
   * initialisers those nodes read come along, prefixed too.
   *
   * @return the copied {@code tensor}'s name here
   */
  public String addAncestors(GraphProto user, String tensor, String prefix, String userInput,
      String entry) {
    java.util.function.UnaryOperator<String> rename = t -> t.isEmpty() ? t
        : t.equals(userInput) ? entry : prefix + t;
    Set<String> read = new HashSet<>();
    for (NodeProto n : ancestors(user, tensor)) {
      NodeProto.Builder b = n.toBuilder().setName(prefix + n.getName());
      for (int i = 0; i < b.getInputCount(); i++) {
        read.add(b.getInput(i));
        b.setInput(i, rename.apply(b.getInput(i)));
      }
      for (int i = 0; i < b.getOutputCount(); i++) {
        b.setOutput(i, rename.apply(b.getOutput(i)));
      }
      graph.addNode(b);
    }
    for (TensorProto t : user.getInitializerList()) {
      if (read.contains(t.getName())) {
        graph.addInitializer(t.toBuilder().setName(prefix + t.getName()));
      }
    }
    return rename.apply(tensor);
  }

  /**
   * Per channel {@code x·scale + shift} of the NCHW tensor {@code input}, its channels first
   * reversed when {@code bgr} (the model takes RGB): the input normalisation put into a graph.
   *
   * @return the normalised tensor's name
   */
  public String normalization(String input, float[] scale, float[] shift, boolean bgr) {
    String s = initializer("normalize_scale", new long[] {1, 3, 1, 1}, scale);
    String b = initializer("normalize_shift", new long[] {1, 3, 1, 1}, shift);
    String x = input;
    if (bgr) {
      node("Gather", "normalize_bgr", "normalize_bgr", input,
          int64Initializer("normalize_bgr_order", 2, 1, 0))
          .addAttribute(integer("axis", 1));
      x = "normalize_bgr";
    }
    node("Mul", "normalize_mul", "normalize_scaled", x, s);
    node("Add", "normalize_add", "normalized", "normalize_scaled", b);
    return "normalized";
  }

  /** Adds an int64 vector initialiser; @return its name */
  public String int64Initializer(String name, long... values) {
    TensorProto.Builder t = TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.INT64_VALUE)
        .addDims(values.length);
    for (long v : values) {
      t.addInt64Data(v);
    }
    graph.addInitializer(t);
    return name;
  }

  /** @return an attribute */
  public static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  /** @return an attribute */
  public static AttributeProto integer(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  /** @return an attribute */
  public static AttributeProto real(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT)
        .setF(value).build();
  }

  /** @return an attribute */
  public static AttributeProto string(String name, String value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value)).build();
  }

  /** A float tensor value; dims ≤ 0 become the symbolic batch dimension. */
  public static ValueInfoProto floatValue(String name, long... dims) {
    TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder()
        .setElemType(TensorProto.DataType.FLOAT_VALUE);
    if (dims != null) {
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
      for (long d : dims) {
        shape.addDim(d > 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(d)
            : TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
      }
      t.setShape(shape);
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(t)).build();
  }
}
