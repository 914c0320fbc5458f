package dev.kiln.maven.export;

import dev.kiln.onnx.OnnxGraph;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import dev.kiln.onnx.OnnxProto;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Proves an exported model computes what the DL4J graph computes: both run on the same images and
 * the largest absolute difference of the outputs must stay within a tolerance. When it does not,
 * every layer's output is compared to find the first one that diverges, named with its type.
 */
public final class ParityChecker {

  /** The default tolerance: 1e-4 on probabilities. */
  public static final double TOLERANCE = 1e-4;

  /**
   * @param maxAbsDiff largest absolute difference between DL4J and ONNX Runtime outputs
   * @param values how many output values were compared
   * @param divergingLayer the first layer whose outputs differ (null when within tolerance)
   */
  public record Result(double maxAbsDiff, long values, String divergingLayer) {
    public boolean passed(double tolerance) {
      return maxAbsDiff <= tolerance;
    }
  }

  private ParityChecker() {}

  /**
   * @param net the DL4J graph
   * @param netInput input for DL4J, {@code [N, C, H, W]} (already normalised when the export
   *     puts normalisation in the graph)
   * @param onnx the exported model
   * @param onnxInput input for ONNX Runtime (raw values when normalisation is in the graph)
   * @param exportOptions how {@code onnx} was exported (to re-export for diagnosis)
   * @param tolerance allowed max abs difference
   * @return the comparison
   */
  public static Result check(ComputationGraph net, INDArray netInput, byte[] onnx,
      float[] onnxInput, OnnxExporter.Options exportOptions, double tolerance) {
    long[] shape = netInput.shape();
    INDArray expected = net.outputSingle(false, netInput);
    float[] actual = run(onnx, onnxInput, shape, exportOptions.outputName()).get(exportOptions.outputName());
    float[] exp = expected.dup('c').castTo(DataType.FLOAT).data().asFloat();
    double max = maxAbsDiff(exp, actual);
    if (max <= tolerance) {
      return new Result(max, exp.length, null);
    }
    return new Result(max, exp.length, diverging(net, netInput, onnx, onnxInput));
  }

  /** @return the layer type of a layer vertex, or the vertex type (Add, Concat, …) */
  static String kind(GraphVertex v) {
    return v.hasLayer() ? v.getLayer().conf().getLayer().getClass().getSimpleName()
        : v.getClass().getSimpleName();
  }

  /** Exposes every layer output of the given model (named like the DL4J vertices) and compares. */
  private static String diverging(ComputationGraph net, INDArray netInput, byte[] onnx,
      float[] onnxInput) {
    long[] shape = netInput.shape();
    byte[] all;
    try {
      OnnxProto.ModelProto model = OnnxProto.ModelProto.parseFrom(onnx);
      OnnxProto.GraphProto.Builder graph = model.getGraph().toBuilder();
      java.util.Set<String> produced = new java.util.HashSet<>();
      graph.getNodeList().forEach(n -> produced.addAll(n.getOutputList()));
      java.util.Set<String> outputs = new java.util.HashSet<>();
      graph.getOutputList().forEach(o -> outputs.add(o.getName()));
      for (GraphVertex v : net.getVertices()) {
        if (produced.contains(v.getVertexName()) && !outputs.contains(v.getVertexName())) {
          graph.addOutput(OnnxGraph.floatValue(v.getVertexName(), (long[]) null));
        }
      }
      all = model.toBuilder().setGraph(graph).build().toByteArray();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return "unknown (the model cannot be parsed: " + e.getMessage() + ")";
    }
    Map<String, float[]> onnxOut = run(all, onnxInput, shape, null);
    Map<String, INDArray> dl4j = vertexOutputs(net, netInput);
    for (int idx : net.topologicalSortOrder()) {
      GraphVertex v = net.getVertices()[idx];
      String name = v.getVertexName();
      if (v.isInputVertex() || !onnxOut.containsKey(name)) {
        continue;
      }
      String found = compare(v, dl4j.get(name), onnxOut.get(name));
      if (found != null) {
        return found;
      }
    }
    return "no single layer (differences accumulate)";
  }

  /**
   * Every vertex's output, each kept as a copy: DL4J's own feed-forward lets activation layers
   * work in place at inference, overwriting the output of the vertex before them.
   */
  private static Map<String, INDArray> vertexOutputs(ComputationGraph net, INDArray input) {
    var mgr = org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces();
    GraphVertex[] vertices = net.getVertices();
    Map<String, INDArray> out = new HashMap<>();
    for (int idx : net.topologicalSortOrder()) {
      GraphVertex v = vertices[idx];
      if (v.isInputVertex()) {
        out.put(v.getVertexName(), input);
        continue;
      }
      var from = v.getInputVertices();
      for (int j = 0; j < from.length; j++) {
        v.setInput(j, out.get(vertices[from[j].getVertexIndex()].getVertexName()).dup(), mgr);
      }
      out.put(v.getVertexName(), v.doForward(false, mgr).dup());
      v.clear();
    }
    return out;
  }

  /** @return the vertex described with the difference, or null when its outputs agree */
  private static String compare(GraphVertex v, INDArray dl4j, float[] onnx) {
    float[] a = dl4j.dup('c').castTo(DataType.FLOAT).data().asFloat();
    if (a.length != onnx.length) {
      return v.getVertexName() + " (" + kind(v) + ": output sizes " + a.length + " vs "
          + onnx.length + ")";
    }
    double scale = 1;
    for (float f : a) {
      scale = Math.max(scale, Math.abs(f));
    }
    double diff = maxAbsDiff(a, onnx);
    return diff / scale > 1e-4
        ? v.getVertexName() + " (" + kind(v) + ", max abs diff " + diff + ")" : null;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      return Double.POSITIVE_INFINITY;
    }
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs(a[i] - b[i]);
      if (Double.isNaN(d)) {
        return Double.POSITIVE_INFINITY;
      }
      max = Math.max(max, d);
    }
    return max;
  }

  /** Runs a model on CPU; returns every output (or just {@code only}) as flat floats. */
  static Map<String, float[]> run(byte[] model, float[] input, long[] shape, String only) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      // no graph fusions: compare the exported operators themselves
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession session = env.createSession(model, so);
          OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
          OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, x))) {
        Map<String, float[]> out = new HashMap<>();
        for (Map.Entry<String, OnnxValue> e : r) {
          if (only == null || only.equals(e.getKey())) {
            FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
            float[] f = new float[fb.remaining()];
            fb.get(f);
            out.put(e.getKey(), f);
          }
        }
        return out;
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime rejected the exported model: " + e.getMessage()
          + " (shape " + Arrays.toString(shape) + ")", e);
    }
  }
}
