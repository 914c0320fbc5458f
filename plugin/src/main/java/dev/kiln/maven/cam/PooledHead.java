package dev.kiln.maven.cam;

import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.AttributeProto;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A shipped model's head, read from its ONNX graph, when it is one linear layer on average-pooled
 * maps ({@link #read}): the output back through softmax (and test-time flip's mean of each photo
 * and its mirror image) to one {@code Gemm} or {@code MatMul}, back through flatten and a {@code
 * Concat} of several pooled blocks, if any, to each block's {@code GlobalAveragePool}. Any other
 * head is named ({@link NotLinear}), not read.
 *
 * @param blocks the maps tensors the pooled features come from, in the order the linear layer
 *     reads their channels (one, or the blocks a {@code Concat} joins)
 * @param weights {@code [class][channel]}, centred over the classes
 * @param flip whether the model runs each photo and its mirror image as one doubled batch
 *     (the photos, then their mirror images) and averages their probabilities
 */
record PooledHead(List<String> blocks, float[][] weights, boolean flip) {
  PooledHead {
    blocks = List.copyOf(blocks);
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException("a head reads at least one block of maps");
    }
    if (weights.length == 0) {
      throw new IllegalArgumentException("a head has at least one class");
    }
  }

  /** Nodes the probabilities pass through after the linear layer. */
  private static final Set<String> AFTER_HEAD = Set.of("Identity", "Softmax", "Dropout",
      "QuantizeLinear", "DequantizeLinear");

  /** Nodes between the pooling and the linear layer that keep each value. */
  private static final Set<String> BEFORE_HEAD = Set.of("Identity", "Flatten", "Reshape",
      "Squeeze", "Dropout", "QuantizeLinear", "DequantizeLinear");


  /**
   * @return the head: the pooled maps' tensors, the linear layer's weights and whether the model
   *     averages each photo with its mirror image
   * @throws NotLinear naming what the head is instead
   */
  static PooledHead read(GraphProto g) throws NotLinear {
    Map<String, NodeProto> producer = OnnxGraph.producers(g);
    Map<String, TensorProto> init = new HashMap<>();
    g.getInitializerList().forEach(t -> init.put(t.getName(), t));
    NodeProto n = after(producer.get(g.getOutput(0).getName()), producer);
    boolean flip = n != null && n.getOpType().equals("ReduceMean")
        && n.getName().startsWith("flip");
    if (flip) {
      NodeProto pairs = producer.get(n.getInput(0));
      if (pairs == null || !pairs.getOpType().equals("Reshape") || !mirrorsItsInput(g, init)) {
        throw new NotLinear("the model averages each photo with a second copy that Kiln does not"
            + " read as its mirror image (testTimeFlip)");
      }
      n = after(producer.get(pairs.getInput(0)), producer);
    }
    if (n == null) {
      throw new NotLinear("the model's output comes from no linear layer");
    }
    String x;
    float[][] weights;
    if (n.getOpType().equals("Gemm")) {
      x = n.getInput(0);
      weights = weights(n.getInput(1), attribute(n, "transB") == 1, init, producer);
      if (attribute(n, "transA") == 1) {
        throw new NotLinear("the head's Gemm transposes its input");
      }
    } else if (n.getOpType().equals("Add") && producer.get(n.getInput(0)) != null
        && producer.get(n.getInput(0)).getOpType().equals("MatMul")) {
      NodeProto mm = producer.get(n.getInput(0));
      x = mm.getInput(0);
      weights = weights(mm.getInput(1), false, init, producer);
    } else if (n.getOpType().equals("MatMul")) {
      x = n.getInput(0);
      weights = weights(n.getInput(1), false, init, producer);
    } else {
      throw new NotLinear("the classes come from " + n.getOpType() + " '" + n.getName() + "'");
    }
    List<String> blocks = new ArrayList<>();
    pooled(x, producer, blocks);
    return new PooledHead(blocks, centred(weights), flip);
  }

  /** @return the first node at or before {@code n} that the probabilities do not just pass */
  private static NodeProto after(NodeProto n, Map<String, NodeProto> producer) {
    while (n != null && AFTER_HEAD.contains(n.getOpType())) {
      n = producer.get(n.getInput(0));
    }
    return n;
  }

  /**
   * Test-time flip as {@code OnnxExporter.mirrorBatch} writes it: the batch, then a Slice that
   * reverses its width axis (3), joined along the batch axis.
   */
  private static boolean mirrorsItsInput(GraphProto g, Map<String, TensorProto> init) {
    NodeProto mirror = null;
    NodeProto joined = null;
    for (NodeProto node : g.getNodeList()) {
      if (node.getOpType().equals("Slice") && node.getName().equals("flip_mirror")) {
        mirror = node;
      } else if (node.getOpType().equals("Concat") && node.getName().equals("flip_concat")) {
        joined = node;
      }
    }
    return mirror != null && joined != null && mirror.getInputCount() == 5
        && List.of(3L).equals(longs(init.get(mirror.getInput(3))))
        && List.of(-1L).equals(longs(init.get(mirror.getInput(4))))
        && attribute(joined, "axis") == 0 && joined.getInputCount() == 2
        && joined.getInput(0).equals(mirror.getInput(0))
        && joined.getInput(1).equals(mirror.getOutput(0));
  }

  private static List<Long> longs(TensorProto t) {
    if (t == null || t.getDataType() != TensorProto.DataType.INT64_VALUE) {
      return List.of();
    }
    if (t.getInt64DataCount() > 0) {
      return t.getInt64DataList();
    }
    java.nio.LongBuffer raw = t.getRawData().asReadOnlyByteBuffer()
        .order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer();
    List<Long> out = new ArrayList<>();
    while (raw.hasRemaining()) {
      out.add(raw.get());
    }
    return out;
  }

  /**
   * Walks back from the linear layer's input to the average-pooled maps: one block, or through
   * a {@code Concat} along the channel axis (of several depths, several backbones, or both) to
   * each of its blocks in order.
   */
  private static void pooled(String x, Map<String, NodeProto> producer, List<String> blocks)
      throws NotLinear {
    NodeProto p = producer.get(x);
    while (p != null && BEFORE_HEAD.contains(p.getOpType())) {
      p = producer.get(p.getInput(0));
    }
    if (p == null) {
      throw new NotLinear("the head's input is the model's input");
    }
    if (p.getOpType().equals("GlobalAveragePool")) {
      blocks.add(p.getInput(0));
      return;
    }
    if (p.getOpType().equals("Concat") && attribute(p, "axis") == 1) {
      for (String part : p.getInputList()) {
        pooled(part, producer, blocks);
      }
      return;
    }
    throw new NotLinear(NOT_LINEAR.getOrDefault(p.getOpType(), "the head's features come from "
        + p.getOpType() + " '" + p.getName() + "'"));
  }

  /** What feeds the linear layer instead of average pooling, by operator, in words. */
  private static final Map<String, String> NOT_LINEAR = notLinear();

  private static Map<String, String> notLinear() {
    Map<String, String> m = new HashMap<>();
    m.put("GlobalMaxPool", "the features are max-pooled (pooling max)");
    m.put("Concat", "the features are joined along another axis than the channels");
    for (String hidden : List.of("Relu", "Clip", "Gemm", "MatMul", "Add", "Sigmoid", "Tanh",
        "LeakyRelu", "Elu", "HardSwish", "HardSigmoid")) {
      m.put(hidden, "the head has a hidden layer (hiddenUnits)");
    }
    return Map.copyOf(m);
  }

  /** @return the weights as {@code [class][channel]} */
  private static float[][] weights(String name, boolean transposed, Map<String, TensorProto> init,
      Map<String, NodeProto> producer) throws NotLinear {
    TensorProto t = init.get(name);
    float[] v;
    long[] dims;
    if (t != null && t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
      v = OnnxGraph.floats(t);
      dims = dims(t);
    } else if (t == null && producer.get(name) != null
        && producer.get(name).getOpType().equals("DequantizeLinear")) {
      NodeProto dq = producer.get(name);
      TensorProto q = init.get(dq.getInput(0));
      if (q == null) {
        throw new NotLinear("the head's weights are not stored in the model");
      }
      v = dequantize(dq, q, init);
      dims = dims(q);
    } else if (t != null) {
      throw new NotLinear("the head's weights are not float32 (quantize fp16)");
    } else {
      throw new NotLinear("the head's weights are computed, not stored");
    }
    if (dims.length != 2) {
      throw new NotLinear("the head's weights are not a matrix");
    }
    int rows = (int) dims[0];
    int cols = (int) dims[1];
    int classes = transposed ? rows : cols;
    int channels = transposed ? cols : rows;
    float[][] w = new float[classes][channels];
    for (int c = 0; c < classes; c++) {
      for (int k = 0; k < channels; k++) {
        w[c][k] = transposed ? v[c * cols + k] : v[k * cols + c];
      }
    }
    return w;
  }

  /** DequantizeLinear of an int8 or uint8 initializer, per tensor or per axis. */
  private static float[] dequantize(NodeProto dq, TensorProto q, Map<String, TensorProto> init)
      throws NotLinear {
    int type = q.getDataType();
    if (type != TensorProto.DataType.INT8_VALUE && type != TensorProto.DataType.UINT8_VALUE) {
      throw new NotLinear("the head's weights are quantised to a type Kiln does not read");
    }
    byte[] raw = q.getRawData().toByteArray();
    if (raw.length == 0) {
      raw = new byte[q.getInt32DataCount()];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = (byte) q.getInt32Data(i);
      }
    }
    float[] scale = OnnxGraph.floats(init.get(dq.getInput(1)));
    int[] zero = new int[scale.length];
    if (dq.getInputCount() > 2 && init.containsKey(dq.getInput(2))) {
      TensorProto z = init.get(dq.getInput(2));
      byte[] zr = z.getRawData().toByteArray();
      for (int i = 0; i < zero.length && i < zr.length; i++) {
        zero[i] = z.getDataType() == TensorProto.DataType.UINT8_VALUE ? zr[i] & 0xff : zr[i];
      }
    }
    long[] dims = dims(q);
    long axis = scale.length == 1 ? 0 : attribute(dq, "axis", 1);
    long inner = 1;
    for (int d = (int) axis + 1; d < dims.length; d++) {
      inner *= dims[d];
    }
    float[] out = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      int c = scale.length == 1 ? 0 : (int) ((i / inner) % dims[(int) axis]);
      int value = type == TensorProto.DataType.UINT8_VALUE ? raw[i] & 0xff : raw[i];
      out[i] = (value - zero[c]) * scale[c];
    }
    return out;
  }

  /** @return the weights minus their mean over the classes (the map softmax sees) */
  static float[][] centred(float[][] w) {
    int channels = w[0].length;
    float[][] out = new float[w.length][channels];
    for (int k = 0; k < channels; k++) {
      double mean = 0;
      for (float[] row : w) {
        mean += row[k];
      }
      mean /= w.length;
      for (int c = 0; c < w.length; c++) {
        out[c][k] = (float) (w[c][k] - mean);
      }
    }
    return out;
  }

  private static long[] dims(TensorProto t) {
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  private static long attribute(NodeProto n, String name) {
    return attribute(n, name, 0);
  }

  private static long attribute(NodeProto n, String name, long absent) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getI();
      }
    }
    return absent;
  }
}
