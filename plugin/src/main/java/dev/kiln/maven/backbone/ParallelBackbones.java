package dev.kiln.maven.backbone;

import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.OperatorSetIdProto;
import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Several backbones in one model ({@code <backbone>a+b</backbone>}): each trunk's frozen pooled
 * features, exported to ONNX with its own normalisation inside, run side by side behind the one
 * raw-RGB image input, and their features are concatenated. The result is a frozen ONNX
 * backbone ({@link OnnxArchitecture}, cut at {@code features}) whose width is the sum of the
 * trunks' — so training, the stitched export, parity, int8 and the Spark featurizer treat it as
 * they treat a user's ONNX graph. Only {@code feature-extractor} (and {@code auto}) train it: its
 * trunks are not imported into DL4J.
 */
public final class ParallelBackbones {

  /** Prefix of a multi-backbone's architecture id: {@code multi:a+b}. */
  public static final String ID_PREFIX = "multi:";

  private ParallelBackbones() {}

  /**
   * @param architecture a backbone's architecture
   * @return true for a multi-backbone ({@link #combine})
   */
  public static boolean isParallel(Architecture architecture) {
    return architecture instanceof OnnxArchitecture a && a.name().startsWith(ID_PREFIX);
  }

  /**
   * @param trunks two or more Keras-family backbones (their pooling is each trunk's)
   * @param resize how photos are fitted (the {@code resize} setting)
   * @return one frozen backbone: raw RGB at the first trunk's input size → the trunks' pooled
   *     features, concatenated in the order given
   * @throws IllegalArgumentException for fewer than two trunks, an ONNX trunk, or trunks of
   *     different input sizes
   */
  public static Backbone combine(List<Backbone> trunks, Preprocessing.Resize resize) {
    if (trunks.size() < 2) {
      throw new IllegalArgumentException("several backbones need at least two, was "
          + trunks.size());
    }
    int size = trunks.get(0).inputSize();
    OnnxGraph g = new OnnxGraph();
    g.graph.setName("kiln_parallel_backbones");
    g.graph.addInput(OnnxGraph.floatValue(OnnxExporter.INPUT, -1, 3, size, size));
    List<String> parts = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    StringBuilder identity = new StringBuilder("parallel-backbones-1");
    int width = 0;
    for (int i = 0; i < trunks.size(); i++) {
      Backbone t = trunks.get(i);
      if (t.architecture() instanceof OnnxArchitecture) {
        throw new IllegalArgumentException("backbone " + t.source() + " is an ONNX graph; several"
            + " backbones combine Keras-family weights (catalogue names, .h5, model.json)");
      }
      if (t.inputSize() != size) {
        throw new IllegalArgumentException("backbone " + t.source() + " takes " + t.inputSize()
            + " px but " + trunks.get(0).source() + " takes " + size + "; several backbones"
            + " share one input size");
      }
      byte[] onnx = OnnxExporter.export(t.featureGraph(null), new long[] {3, size, size},
          new OnnxExporter.Options(t.normalization(), Map.of(), "features"));
      ModelProto m;
      try {
        m = ModelProto.parseFrom(onnx);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("Kiln's own export does not parse", e);
      }
      String prefix = "trunk" + i + "_" + t.architecture().id() + "/";
      parts.add(g.addAncestors(m.getGraph(), "features", prefix, OnnxExporter.INPUT,
          OnnxExporter.INPUT));
      width += (int) dev.kiln.maven.export.OnnxSurgery.shapeOf(m, "features", size)[1];
      ids.add(t.architecture().id());
      sources.add(t.source());
      identity.append('|').append(t.architecture().id()).append(':').append(t.sha256())
          .append(':').append(t.normalization().toSpec()).append(':').append(t.pooling())
          .append(':').append(t.featureDepths()).append(':').append(size);
    }
    g.node("Concat", "kiln_parallel_concat", "features", parts.toArray(String[]::new))
        .addAttribute(OnnxGraph.integer("axis", 1));
    g.graph.addOutput(OnnxGraph.floatValue("features", -1, width));
    ModelProto model = ModelProto.newBuilder()
        .setIrVersion(OnnxExporter.IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(OnnxExporter.OPSET))
        .setProducerName("kiln")
        .setProducerVersion("parallel backbones")
        .setGraph(g.graph)
        .build();
    Preprocessing raw = Preprocessing.raw(size, resize);
    String name = ID_PREFIX + String.join("+", ids);
    OnnxArchitecture arch = new OnnxArchitecture(name, model, "features",
        "the concatenated pooled features of " + String.join(", ", ids),
        new long[] {1, width}, raw, new OnnxImport(model, OnnxExporter.INPUT, size));
    String sha = java.util.HexFormat.of().formatHex(sha256(identity.toString()));
    return new Backbone(String.join("+", sources), sha, arch, size, Map.of());
  }

  private static byte[] sha256(String s) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
