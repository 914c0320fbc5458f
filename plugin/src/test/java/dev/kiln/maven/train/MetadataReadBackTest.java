package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.OperatorSetIdProto;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.image.Preprocessing;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The exported model's metadata is read back through the runtime before it ships. */
class MetadataReadBackTest {

  static byte[] tinyModel() {
    OnnxGraph g = new OnnxGraph();
    g.graph.setName("tiny");
    g.graph.addInput(OnnxGraph.floatValue("input", -1, 3, 32, 32));
    g.node("ReduceMean", "mean", "mean", "input").addAttribute(OnnxGraph.ints("axes", 2, 3))
        .addAttribute(OnnxGraph.integer("keepdims", 0));
    g.node("Softmax", "softmax", "probabilities", "mean");
    g.graph.addOutput(OnnxGraph.floatValue("probabilities", -1, 3));
    return ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g.graph).build().toByteArray();
  }

  static ModelMetadata metadata(List<String> labels) {
    return new ModelMetadata(1, labels, Preprocessing.raw(32, Preprocessing.Resize.CENTER_CROP),
        ModelMetadata.Output.PROBABILITIES, Map.of("backbone", "🐝.h5", "mode", "x"));
  }

  @Test
  void labelsOfAnyPlaneReadBackAsWritten() {
    ModelMetadata m = metadata(List.of("🐝", "𝒜", "日本"));
    ModelExport.checkReadBack(new ModelExport.Exported(
        OnnxExporter.withMetadata(tinyModel(), m.toProperties()), m));
  }

  @Test
  void aValueThatReadsBackOtherwiseStopsTheBuildNamingIt() {
    byte[] onnx = OnnxExporter.withMetadata(tinyModel(),
        metadata(List.of("ants", "bees", "wasps")).toProperties());
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ModelExport.checkReadBack(new ModelExport.Exported(onnx,
            metadata(List.of("ants", "bees", "🐝")))));
    assertTrue(e.getMessage().contains("label '🐝' reads back as 'wasps'")
        && e.getMessage().contains("not shipped"), e.getMessage());
  }
}
