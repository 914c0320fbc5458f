package dev.kiln.maven.export;

import dev.kiln.onnx.OnnxGraph;

import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.OperatorSetIdProto;
import dev.kiln.onnx.OnnxProto.StringStringEntryProto;
import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.VertexIndices;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;

/**
 * Writes a DL4J {@link ComputationGraph} (NCHW) as an ONNX model (opset 13), with Kiln's own
 * protobuf classes. Each vertex is written by the converter registered for its kind —
 * {@link LayerConverters} (convolution, depthwise, BatchNorm, padding, pooling, dense, activation,
 * dropout), {@link ActivationConverters} (identity, ReLU, ReLU6, leaky ReLU, sigmoid, tanh,
 * softmax, hard sigmoid, swish, hard-swish), {@link VertexConverters} (Concat, element-wise,
 * Reshape, broadcast channel scale) — and its output tensor carries the vertex's name, so that
 * {@link ParityChecker} can compare every vertex. Anything else fails with
 * {@link UnsupportedOperationException} naming the vertex, its type and the supported ones.
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
    long[] in = inputShape.length == 1 ? new long[] {-1, inputShape[0]}
        : new long[] {-1, inputShape[0], inputShape[1], inputShape[2]};
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
      List<String> inputs = new ArrayList<>();
      for (VertexIndices from : v.getInputVertices()) {
        inputs.add(tensorOf.get(vertices[from.getVertexIndex()].getVertexName()));
      }
      String out;
      if (v.hasLayer()) {
        if (inputs.size() != 1) {
          throw new UnsupportedOperationException("layer '" + name + "' has " + inputs.size()
              + " inputs; a layer takes one (merge them with a vertex first)");
        }
        out = LayerConverters.convert(g, name, v.getLayer(),
            v instanceof LayerVertex lv ? lv.getLayerPreProcessor() : null, inputs.get(0));
      } else {
        out = VertexConverters.convert(g, name,
            net.getConfiguration().getVertices().get(name), inputs);
      }
      if (!out.equals(name)) { // every vertex's output carries its name: parity compares each
        g.node("Identity", name, name, out);
      }
      tensorOf.put(name, name);
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

  static String normalization(OnnxGraph g, Preprocessing p) {
    return p == null || p.isRaw() ? INPUT : g.normalization(INPUT, p.multipliers(), p.offsets(),
        p.channels() == Preprocessing.ChannelOrder.BGR);
  }

  /**
   * Test-time flip, first half: the batch followed by its mirror images (width axis reversed),
   * {@code [N, C, H, W] → [2N, C, H, W]}.
   */
  static String mirrorBatch(OnnxGraph g, String x) {
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
  static String meanOfHalves(OnnxGraph g, String scores, long classes) {
    String shape = g.int64Initializer("flip_shape", 2, -1, classes);
    g.node("Reshape", "flip_reshape", "flip_pairs", scores, shape);
    g.node("ReduceMean", "flip_mean", "flip_averaged", "flip_pairs")
        .addAttribute(OnnxGraph.ints("axes", 0))
        .addAttribute(OnnxGraph.integer("keepdims", 0));
    return "flip_averaged";
  }

}
