package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.OperatorSetIdProto;
import dev.kiln.onnx.OnnxProto.StringStringEntryProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import dev.kiln.runtime.image.Preprocessing;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model contract on small models built here: labels of any characters round-trip through
 * ONNX Runtime, malformed metadata and bad outputs fail as {@link KilnException}s, and external
 * data is found beside the model.
 */
class ModelContractTest {

  static final Preprocessing SPEC = Preprocessing.imagenet(32);
  static final ClassifierOptions CPU = ClassifierOptions.defaults().withDevice(Device.CPU);

  /** Mean of each channel, times {@code weights} (NaN, external, or 1), then softmax. */
  static ModelProto.Builder model(Map<String, String> props, float weight, boolean external) {
    OnnxGraph g = new OnnxGraph();
    g.graph.setName("tiny");
    g.graph.addInput(OnnxGraph.floatValue("input", -1, 3, 32, 32));
    g.node("ReduceMean", "mean", "mean", "input").addAttribute(OnnxGraph.ints("axes", 2, 3))
        .addAttribute(OnnxGraph.integer("keepdims", 0));
    if (external) {
      g.graph.addInitializer(TensorProto.newBuilder().setName("w").addDims(3).setDataType(1)
          .setDataLocation(1)
          .addExternalData(entry("location", "weights.bin"))
          .addExternalData(entry("offset", "0"))
          .addExternalData(entry("length", "12")));
    } else {
      g.initializer("w", new long[] {3}, new float[] {weight, weight, weight});
    }
    g.node("Mul", "scaled", "scaled", "mean", "w");
    g.node("Softmax", "softmax", "scores", "scaled");
    g.graph.addOutput(OnnxGraph.floatValue("scores", -1, 3));
    ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g.graph);
    props.forEach((k, v) -> m.addMetadataProps(entry(k, v)));
    return m;
  }

  static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  static Map<String, String> props(String labelsJson) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(ModelMetadata.KEY_FORMAT, "1");
    p.put(ModelMetadata.KEY_LABELS, labelsJson);
    p.put(ModelMetadata.KEY_PREPROCESSING, SPEC.toSpec());
    return p;
  }

  static BufferedImage gray() {
    return new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
  }

  @Test
  void labelsOutsideTheBmpRoundTripThroughOnnxRuntime() throws Exception {
    List<String> labels = List.of("🐝", "𝒜", "café \"au lait\"\\ 日本");
    ModelMetadata written = new ModelMetadata(1, labels, SPEC, ModelMetadata.Output.PROBABILITIES,
        Map.of("backbone", "net (🐝.h5)", "mode", "feature-extractor"));
    Map<String, String> props = written.toProperties();
    String json = props.get(ModelMetadata.KEY_LABELS);
    assertTrue(json.chars().allMatch(c -> c >= 0x20 && c < 0x7f), json);
    assertEquals("net (\ufffd.h5)", written.training().get("backbone"),
        "free text: what the binding cannot read back is replaced");
    try (ImageClassifier c = ImageClassifier.load(model(props, 1f, false).build().toByteArray(),
        "tiny", CPU)) {
      assertEquals(labels, c.labels());
      assertEquals(written.training(), c.metadata().training());
      assertEquals(labels, c.classify(gray()).topK(3).stream().map(Prediction::label).sorted(
          java.util.Comparator.comparingInt(labels::indexOf)).toList());
    }
  }

  @Test
  void olderModelsWithRawUtf8LabelsStillLoad() throws Exception {
    try (ImageClassifier c = ImageClassifier.load(
        model(props("[\"café\", \"日本\", \"a\\u00e9\"]"), 1f, false).build().toByteArray(),
        "old", CPU)) {
      assertEquals(List.of("café", "日本", "aé"), c.labels());
    }
  }

  @Test
  void malformedLabelsFailAsModelInvalid() {
    for (String bad : List.of("[\"a\\u12", "[\"a\\", "[\"a\\u12zz\"]", "[\"a\"", "[", "",
        "[\"a\",]", "{}")) {
      KilnException e = assertThrows(KilnException.class, () -> ImageClassifier.load(
          model(props(bad), 1f, false).build().toByteArray(), "bad", CPU), bad);
      assertEquals(KilnException.Reason.MODEL_INVALID, e.reason(), bad);
      assertTrue(e.getMessage().contains("kiln.labels") || e.getMessage().contains("invalid Kiln"
          + " metadata"), e.getMessage());
    }
  }

  @Test
  void duplicateLabelsInTheOptionsFailAsInvalidArgument() {
    KilnException e = assertThrows(KilnException.class, () -> ImageClassifier.load(
        model(props("[\"a\",\"b\",\"c\"]"), 1f, false).build().toByteArray(), "dup",
        CPU.withLabels(List.of("a", "a", "b"))));
    assertEquals(KilnException.Reason.INVALID_ARGUMENT, e.reason());
  }

  @Test
  void aNanOutputFailsAsInferenceFailed() throws Exception {
    try (ImageClassifier c = ImageClassifier.load(
        model(props("[\"a\",\"b\",\"c\"]"), Float.NaN, false).build().toByteArray(), "nan",
        CPU)) {
      KilnException e = assertThrows(KilnException.class, () -> c.classify(gray()));
      assertEquals(KilnException.Reason.INFERENCE_FAILED, e.reason());
      assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("'a'"),
          e.getMessage());
      KilnException batch = assertThrows(KilnException.class,
          () -> c.classifyImages(List.of(gray(), gray())));
      assertTrue(batch.getMessage().contains("image 1 of 2"), batch.getMessage());
    }
  }

  @Test
  void externalDataIsFoundInTheModelsFolder(@TempDir Path dir) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("models"));
    Path file = folder.resolve("tiny.onnx");
    Files.write(file, model(props("[\"a\",\"b\",\"c\"]"), 0, true).build().toByteArray());
    ByteBuffer w = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    w.putFloat(1).putFloat(2).putFloat(3);
    Files.write(folder.resolve("weights.bin"), w.array());
    assertTrue(Files.notExists(Path.of("weights.bin")), "the working directory has none");
    try (ImageClassifier c = ImageClassifier.load(file, CPU)) {
      assertEquals(3, c.classify(gray()).scores().length);
    }
    KilnException fromBytes = assertThrows(KilnException.class,
        () -> ImageClassifier.load(Files.readAllBytes(file), "bytes", CPU));
    assertTrue(fromBytes.getMessage().contains("external data"), fromBytes.getMessage());
  }
}
