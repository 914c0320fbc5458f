package dev.kiln.maven.export;

import dev.kiln.onnx.OnnxGraph;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.onnx.OnnxProto.AttributeProto;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Static int8 quantisation of a Kiln model in ONNX's QDQ form, so that ONNX Runtime's CPU provider
 * runs integer kernels (QLinearConv, QGemm): BatchNorm folded into the preceding convolutions
 * first; weights int8, symmetric, per output channel (Conv) or per tensor (Gemm); biases int32 at
 * the input scale × the weight scale; activations uint8, asymmetric, their ranges calibrated with
 * min/max over the calibration photos at every tensor that enters a Conv, Gemm or Add, and at
 * every convolution's output (after its ReLU6, which ONNX Runtime then fuses away). Softmax and
 * global pooling stay float.
 */
public final class Quantizer {

  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

  private Quantizer() {}

  /**
   * @param model a float Kiln model (bytes)
   * @param calibration input batches (raw RGB tensors as the model takes them)
   * @param shapes the shape of each batch
   * @return the QDQ model (metadata kept)
   * @throws IllegalArgumentException when the model cannot be calibrated
   */
  public static byte[] int8(byte[] model, List<float[]> calibration, List<long[]> shapes) {
    ModelProto m = parse(model);
    GraphProto.Builder g = m.getGraph().toBuilder();
    Map<String, TensorProto> inits = new LinkedHashMap<>();
    g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
    foldBatchNorm(g, inits);
    List<String> points = new ArrayList<>(quantizationPoints(g, inits));
    Map<String, float[]> ranges = calibrate(m, g, inits, points, calibration, shapes);

    // short generated names: the names are a fair share of a small model's bytes
    Map<String, float[]> act = new HashMap<>(); // tensor → {scale, zeroPoint}
    Map<String, String> dequantized = new HashMap<>();
    List<TensorProto> newInits = new ArrayList<>();
    List<NodeProto> weightNodes = new ArrayList<>();
    Map<String, List<NodeProto>> after = new HashMap<>(); // producer output → its Q/DQ nodes
    int id = 0;
    for (String t : points) {
      float[] r = ranges.get(t);
      float lo = Math.min(0, r[0]);
      float hi = Math.max(0, r[1]);
      float scale = hi - lo > 0 ? (hi - lo) / 255f : 1f;
      int zp = Math.max(0, Math.min(255, Math.round(-lo / scale)));
      act.put(t, new float[] {scale, zp});
      String p = "a" + id++;
      newInits.add(OnnxGraph.floatTensor(p + "s", new long[0], new float[] {scale}));
      newInits.add(OnnxGraph.tensor(p + "z", new long[0], TensorProto.DataType.UINT8_VALUE,
          new byte[] {(byte) zp}));
      dequantized.put(t, p + "d");
      after.put(t, List.of(node("QuantizeLinear", "", p + "q", t, p + "s", p + "z"),
          node("DequantizeLinear", "", p + "d", p + "q", p + "s", p + "z")));
    }
    // consumers of a quantised tensor read its dequantised copy
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto.Builder n = g.getNodeBuilder(i);
      for (int k = 0; k < n.getInputCount(); k++) {
        if (dequantized.containsKey(n.getInput(k))) {
          n.setInput(k, dequantized.get(n.getInput(k)));
        }
      }
    }
    Map<String, String> original = new HashMap<>();
    dequantized.forEach((t, d) -> original.put(d, t));
    Set<String> dropInits = new LinkedHashSet<>();
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto.Builder n = g.getNodeBuilder(i);
      boolean conv = n.getOpType().equals("Conv");
      boolean gemm = n.getOpType().equals("Gemm");
      if (!(conv || gemm) || !inits.containsKey(n.getInput(1))) {
        continue;
      }
      float sx = act.get(original.get(n.getInput(0)))[0];
      TensorProto w = inits.get(n.getInput(1));
      float[] wv = OnnxGraph.floats(w);
      int channels = conv ? (int) w.getDims(0) : 1;
      float[] ws = new float[channels];
      byte[] wq = new byte[wv.length];
      int per = wv.length / channels;
      for (int c = 0; c < channels; c++) {
        float max = 0;
        for (int j = 0; j < per; j++) {
          max = Math.max(max, Math.abs(wv[c * per + j]));
        }
        ws[c] = max > 0 ? max / 127f : 1f;
        for (int j = 0; j < per; j++) {
          wq[c * per + j] = (byte) Math.max(-127, Math.min(127,
              Math.round(wv[c * per + j] / ws[c])));
        }
      }
      String wn = "w" + id++;
      long[] wdims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
      long[] cdims = conv ? new long[] {channels} : new long[0];
      newInits.add(OnnxGraph.tensor(wn, wdims, TensorProto.DataType.INT8_VALUE, wq));
      newInits.add(OnnxGraph.floatTensor(wn + "s", cdims, conv ? ws : new float[] {ws[0]}));
      // symmetric: no zero-point input (it defaults to 0 of the int8 type)
      NodeProto.Builder dq = node("DequantizeLinear", "", wn + "d", wn, wn + "s").toBuilder();
      if (conv) {
        dq.addAttribute(AttributeProto.newBuilder().setName("axis")
            .setType(AttributeProto.AttributeType.INT).setI(0));
      }
      weightNodes.add(dq.build());
      dropInits.add(n.getInput(1));
      n.setInput(1, wn + "d");
      if (n.getInputCount() > 2 && inits.containsKey(n.getInput(2))) {
        TensorProto b = inits.get(n.getInput(2));
        float[] bv = OnnxGraph.floats(b);
        ByteBuffer bq = ByteBuffer.allocate(4 * bv.length).order(ByteOrder.LITTLE_ENDIAN);
        float[] bs = new float[bv.length];
        for (int c = 0; c < bv.length; c++) {
          bs[c] = sx * ws[conv ? c : 0];
          bq.putInt(Math.round(bv[c] / bs[c]));
        }
        String bn = "b" + id++;
        newInits.add(OnnxGraph.tensor(bn, new long[] {bv.length}, TensorProto.DataType.INT32_VALUE,
            bq.array()));
        newInits.add(OnnxGraph.floatTensor(bn + "s", new long[] {bv.length}, bs));
        weightNodes.add(node("DequantizeLinear", "", bn + "d", bn, bn + "s").toBuilder()
            .addAttribute(AttributeProto.newBuilder().setName("axis")
                .setType(AttributeProto.AttributeType.INT).setI(0)).build());
        dropInits.add(n.getInput(2));
        n.setInput(2, bn + "d");
      }
    }
    // rebuild in topological order: weight dequantisation first, Q/DQ right after each producer
    List<NodeProto> ordered = new ArrayList<>(weightNodes);
    for (String graphInput : g.getInputList().stream().map(v -> v.getName()).toList()) {
      ordered.addAll(after.getOrDefault(graphInput, List.of()));
    }
    for (NodeProto n : g.getNodeList()) {
      ordered.add(n);
      for (String out : n.getOutputList()) {
        ordered.addAll(after.getOrDefault(out, List.of()));
      }
    }
    g.clearNode().addAllNode(ordered);
    List<TensorProto> keptInits = new ArrayList<>();
    for (TensorProto t : inits.values()) {
      if (!dropInits.contains(t.getName())) {
        keptInits.add(t);
      }
    }
    keptInits.addAll(newInits);
    g.clearInitializer().addAllInitializer(keptInits);
    return m.toBuilder().setGraph(g).build().toByteArray();
  }

  /** Folds every BatchNormalization that follows a Conv (through Identity nodes) into it. */
  static void foldBatchNorm(GraphProto.Builder g, Map<String, TensorProto> inits) {
    Map<String, Integer> producer = producers(g);
    Map<String, Integer> uses = uses(g);
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto.Builder bn = g.getNodeBuilder(i);
      if (!bn.getOpType().equals("BatchNormalization")) {
        continue;
      }
      String x = bn.getInput(0);
      Integer p = producer.get(x);
      while (p != null && g.getNode(p).getOpType().equals("Identity") && uses.get(x) == 1) {
        x = g.getNode(p).getInput(0);
        p = producer.get(x);
      }
      if (p == null || !g.getNode(p).getOpType().equals("Conv") || uses.get(x) != 1
          || !inits.containsKey(g.getNode(p).getInput(1))) {
        continue;
      }
      NodeProto.Builder conv = g.getNodeBuilder(p);
      float eps = 1e-5f;
      for (AttributeProto a : bn.getAttributeList()) {
        if (a.getName().equals("epsilon")) {
          eps = a.getF();
        }
      }
      float[] gamma = OnnxGraph.floats(inits.get(bn.getInput(1)));
      float[] beta = OnnxGraph.floats(inits.get(bn.getInput(2)));
      float[] mean = OnnxGraph.floats(inits.get(bn.getInput(3)));
      float[] var = OnnxGraph.floats(inits.get(bn.getInput(4)));
      TensorProto w = inits.get(conv.getInput(1));
      float[] wv = OnnxGraph.floats(w);
      int out = (int) w.getDims(0);
      int per = wv.length / out;
      float[] bias = conv.getInputCount() > 2 ? OnnxGraph.floats(inits.get(conv.getInput(2)))
          : new float[out];
      for (int c = 0; c < out; c++) {
        double s = gamma[c] / Math.sqrt(var[c] + eps);
        for (int j = 0; j < per; j++) {
          wv[c * per + j] = (float) (wv[c * per + j] * s);
        }
        bias[c] = (float) ((bias[c] - mean[c]) * s + beta[c]);
      }
      inits.put(w.getName(), OnnxGraph.floatTensor(w.getName(),
          w.getDimsList().stream().mapToLong(Long::longValue).toArray(), wv));
      String bname = conv.getInputCount() > 2 ? conv.getInput(2) : conv.getName() + "_folded_b";
      inits.put(bname, OnnxGraph.floatTensor(bname, new long[] {out}, bias));
      if (conv.getInputCount() < 3) {
        conv.addInput(bname);
      }
      for (int k = 1; k < 5; k++) {
        inits.remove(bn.getInput(k));
      }
      String in = bn.getInput(0);
      bn.setOpType("Identity").clearInput().addInput(in).clearAttribute();
    }
  }

  /**
   * @return the tensors whose ranges are calibrated and which get Q/DQ pairs: every non-constant
   *     input of Conv, Gemm and Add, and every convolution's output after its activation
   */
  static Set<String> quantizationPoints(GraphProto.Builder g, Map<String, TensorProto> inits) {
    Map<String, List<Integer>> consumers = new HashMap<>();
    for (int i = 0; i < g.getNodeCount(); i++) {
      for (String in : g.getNode(i).getInputList()) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
      }
    }
    Set<String> points = new LinkedHashSet<>();
    for (NodeProto n : g.getNodeList()) {
      String op = n.getOpType();
      if (op.equals("Conv") || op.equals("Gemm")) {
        points.add(n.getInput(0));
      }
      if (op.equals("Add")) {
        for (String in : n.getInputList()) {
          if (!inits.containsKey(in)) {
            points.add(in);
          }
        }
        points.add(n.getOutput(0));
      }
      if (op.equals("Conv")) {
        String t = n.getOutput(0);
        while (true) {
          List<Integer> next = consumers.getOrDefault(t, List.of());
          if (next.size() != 1) {
            break;
          }
          NodeProto c = g.getNode(next.get(0));
          if (c.getOpType().equals("Identity") || c.getOpType().equals("Clip")
              || c.getOpType().equals("Relu")) {
            t = c.getOutput(0);
            if (!c.getOpType().equals("Identity")) {
              break;
            }
          } else {
            break;
          }
        }
        points.add(t);
      }
    }
    points.removeIf(inits::containsKey);
    return points;
  }

  private static Map<String, float[]> calibrate(ModelProto m, GraphProto.Builder g,
      Map<String, TensorProto> inits, List<String> points, List<float[]> batches,
      List<long[]> shapes) {
    GraphProto.Builder probe = g.clone().clearInitializer().addAllInitializer(inits.values())
        .clearOutput();
    for (String p : points) {
      probe.addOutput(OnnxGraph.floatValue(p, (long[]) null));
    }
    byte[] bytes = m.toBuilder().setGraph(probe).build().toByteArray();
    Map<String, float[]> ranges = new HashMap<>();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession s = env.createSession(bytes, o)) {
        String input = s.getInputNames().iterator().next();
        for (int b = 0; b < batches.size(); b++) {
          try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(batches.get(b)),
              shapes.get(b)); OrtSession.Result r = s.run(Map.of(input, x))) {
            for (String p : points) {
              FloatBuffer v = ((OnnxTensor) r.get(p).orElseThrow()).getFloatBuffer();
              float[] range = ranges.computeIfAbsent(p, k -> new float[] {Float.MAX_VALUE,
                  -Float.MAX_VALUE});
              while (v.hasRemaining()) {
                float f = v.get();
                range[0] = Math.min(range[0], f);
                range[1] = Math.max(range[1], f);
              }
            }
          }
        }
      }
    } catch (OrtException e) {
      throw new IllegalArgumentException("cannot calibrate the model: " + e.getMessage(), e);
    }
    return ranges;
  }

  static ModelProto parse(byte[] model) {
    try {
      return ModelProto.parseFrom(model);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
    }
  }

  private static Map<String, Integer> producers(GraphProto.Builder g) {
    Map<String, Integer> p = new HashMap<>();
    for (int i = 0; i < g.getNodeCount(); i++) {
      for (String out : g.getNode(i).getOutputList()) {
        p.put(out, i);
      }
    }
    return p;
  }

  private static Map<String, Integer> uses(GraphProto.Builder g) {
    Map<String, Integer> u = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        u.merge(in, 1, Integer::sum);
      }
    }
    return u;
  }

  static NodeProto node(String op, String name, String output, String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).addOutput(output);
    if (!name.isEmpty()) {
      n.setName(name);
    }
    for (String in : inputs) {
      n.addInput(in);
    }
    return n.build();
  }
}
