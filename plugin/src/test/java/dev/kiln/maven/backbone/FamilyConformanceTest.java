package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.maven.export.OnnxExporter;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every catalogued family (its smallest and largest variant), on random weights at a small input size: the parameter
 * count the catalogue gives (Keras' published count, no top), the output shape at every cut
 * point equal to DL4J's own inference, and export parity (ONNX Runtime vs DL4J) of the whole
 * feature extractor. The table is the catalogue's: a family added there is tested here.
 */
class FamilyConformanceTest {

  /**
   * @return per catalogued family its smallest and largest variant (by the catalogue's
   *     parameter count, Keras' published one), with that count
   */
  static Stream<Arguments> families() {
    Map<String, BackboneCatalog.Entry> smallest = new java.util.LinkedHashMap<>();
    Map<String, BackboneCatalog.Entry> largest = new java.util.LinkedHashMap<>();
    for (BackboneCatalog.Entry e : BackboneCatalog.entries()) {
      smallest.merge(e.family(), e, (x, y) -> x.parameters() <= y.parameters() ? x : y);
      largest.merge(e.family(), e, (x, y) -> x.parameters() >= y.parameters() ? x : y);
    }
    Map<String, Arguments> byId = new java.util.LinkedHashMap<>();
    for (String family : smallest.keySet()) {
      for (BackboneCatalog.Entry e : List.of(smallest.get(family), largest.get(family))) {
        byId.putIfAbsent(e.architecture().id(), Arguments.of(e.architecture(), e.parameters()));
      }
    }
    return byId.values().stream();
  }

  /** @return the input size a random-weight test runs the architecture at */
  static int size(Architecture arch) {
    return Math.max(64, arch.smallestInput());
  }

  @ParameterizedTest
  @MethodSource("families")
  void parametersShapesAndParity(Architecture arch, long kerasParameters) throws Exception {
    int size = size(arch);
    Backbone b = RandomWeights.of(arch, size, 7);
    ComputationGraph map = b.featureMapGraph(arch.lastFeatureLayer());
    assertEquals(kerasParameters, map.numParams(), arch.id() + " parameters");
    float[] random = new float[3 * size * size];
    Random rnd = new Random(1);
    for (int i = 0; i < random.length; i++) {
      random[i] = rnd.nextInt(256);
    }
    INDArray x = Nd4j.create(random, new long[] {1, 3, size, size}, 'c');
    float[] rawPixels = x.dup('c').data().asFloat();
    float[] net = normalize(rawPixels, b.normalization(), size);
    INDArray netInput = Nd4j.create(net, new long[] {1, 3, size, size}, 'c');
    OrtEnvironment ortEnv = OrtEnvironment.getEnvironment();
    // every cut at once: DL4J's activations of each cut layer, and the same tensors of the
    // exported graph (each vertex's output carries its name) made outputs
    java.util.Map<String, INDArray> activations = map.feedForward(netInput, false);
    dev.kiln.onnx.OnnxProto.ModelProto model = dev.kiln.onnx.OnnxProto.ModelProto.parseFrom(
        OnnxExporter.export(map, new long[] {3, size, size},
            new OnnxExporter.Options(b.normalization(), Map.of(), "features")));
    dev.kiln.onnx.OnnxProto.GraphProto.Builder graph = model.getGraph().toBuilder();
    for (String cut : arch.featureLayers()) {
      if (!cut.equals(arch.lastFeatureLayer())) {
        graph.addOutput(dev.kiln.onnx.OnnxGraph.floatValue(cut, (long[]) null));
      }
    }
    try (OrtSession s = ortEnv.createSession(model.toBuilder().setGraph(graph).build()
            .toByteArray());
        OnnxTensor t = OnnxTensor.createTensor(ortEnv, FloatBuffer.wrap(rawPixels),
            new long[] {1, 3, size, size});
        var r = s.run(Map.of(OnnxExporter.INPUT, t))) {
      for (String cut : arch.featureLayers()) {
        INDArray out = activations.get(cut);
        long[] actual = out.shape();
        assertArrayEquals(arch.shapeAfter(cut, size),
            new long[] {actual[1], actual[2], actual[3]}, arch.id() + " " + cut);
        FloatBuffer o = ((OnnxTensor) r.get(cut.equals(arch.lastFeatureLayer()) ? "features"
            : cut).orElseThrow()).getFloatBuffer();
        double max = 0;
        double scale = 1;
        for (float v : out.dup('c').data().asFloat()) {
          float u = o.get();
          max = Math.max(max, Math.abs(u - v));
          scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(max <= 1e-4 * scale, arch.id() + " at " + cut + ": parity " + max);
      }
    }
    ComputationGraph features = b.featureGraph(null);
    float[] pixels = rawPixels;
    float[] normalized = net;
    dev.kiln.runtime.image.Preprocessing p = b.normalization();
    float[] dl4j = features.outputSingle(false, Nd4j.create(normalized,
        new long[] {1, 3, size, size}, 'c')).dup('c').data().asFloat();
    // the trainable form (BatchNorm folded into the convolutions) computes what the frozen
    // form (BatchNorm layers in inference mode) does
    ComputationGraph unfolded = b.classifierGraph(null, 3, 0, 1,
        new org.nd4j.linalg.learning.config.Adam(1e-3));
    ComputationGraph folded = b.wholeGraph(true, 3, 0, 1,
        new org.nd4j.linalg.learning.config.Adam(1e-3), 0);
    unfolded.getLayer(Backbone.HEAD).paramTable().forEach((k, v) ->
        folded.getLayer(Backbone.HEAD).getParam(k).assign(v));
    INDArray in = Nd4j.create(normalized, new long[] {1, 3, size, size}, 'c');
    double foldDiff = unfolded.outputSingle(false, in).sub(folded.outputSingle(false, in))
        .amaxNumber().doubleValue();
    assertTrue(foldDiff < 1e-4, arch.id() + ": folded vs unfolded " + foldDiff);
    byte[] onnx = OnnxExporter.export(features, new long[] {3, size, size},
        new OnnxExporter.Options(p, Map.of(), "features"));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(onnx);
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels),
            new long[] {1, 3, size, size});
        var r = s.run(Map.of(OnnxExporter.INPUT, t))) {
      float[] ort = ((float[][]) r.get(0).getValue())[0];
      double max = 0;
      double scale = 1e-6;
      for (int i = 0; i < ort.length; i++) {
        max = Math.max(max, Math.abs(ort[i] - dl4j[i]));
        scale = Math.max(scale, Math.abs(dl4j[i]));
      }
      assertTrue(max <= 1e-4 * Math.max(1, scale), arch.id() + ": parity " + max + " at scale "
          + scale);
    }
  }

  static float[] normalize(float[] pixels, dev.kiln.runtime.image.Preprocessing p, int size) {
    float[] normalized = new float[pixels.length];
    int plane = size * size;
    for (int c = 0; c < 3; c++) {
      int from = p.channels() == dev.kiln.runtime.image.Preprocessing.ChannelOrder.BGR ? 2 - c : c;
      for (int i = 0; i < plane; i++) {
        normalized[c * plane + i] = (pixels[from * plane + i] * p.scale() - p.mean()[c])
            / p.std()[c];
      }
    }
    return normalized;
  }

  @org.junit.jupiter.api.io.TempDir
  static java.nio.file.Path photos;

  static dev.kiln.maven.dataset.Dataset tiny() throws Exception {
    java.nio.file.Path images = photos.resolve("images");
    if (!java.nio.file.Files.isDirectory(images)) {
      for (String label : java.util.List.of("ants", "bees")) {
        java.nio.file.Files.createDirectories(images.resolve(label));
        try (var files = java.nio.file.Files.list(dev.kiln.runtime.Fixtures.hymenoptera()
            .resolve("train").resolve(label))) {
          for (java.nio.file.Path p : files.sorted().limit(8).toList()) {
            java.nio.file.Files.copy(p, images.resolve(label).resolve(p.getFileName()));
          }
        }
      }
    }
    return dev.kiln.maven.dataset.DatasetScanner.scan(new dev.kiln.maven.dataset.DatasetScanner
        .Request(images, java.util.List.of(), java.util.List.of(), 0.3, 1));
  }

  /**
   * Every catalogued family (its largest variant), fine-tuned on random weights. (MobileNetV2
   * used to diverge here: with BatchNorm statistics drawn at random its activations grew block
   * after block until float32 rounding exceeded the tolerance; {@link RandomWeights} now
   * calibrates the statistics as training would.)
   */
  static Stream<Arguments> fineTunable() {
    Map<String, BackboneCatalog.Entry> largest = new java.util.LinkedHashMap<>();
    for (BackboneCatalog.Entry e : BackboneCatalog.entries()) {
      largest.merge(e.family(), e, (x, y) -> x.parameters() >= y.parameters() ? x : y);
    }
    return largest.values().stream().map(e -> Arguments.of(e.architecture(), e.parameters()));
  }

  /** The top block trained (BatchNorm folded) and the whole network exported with parity. */
  @ParameterizedTest
  @MethodSource("fineTunable")
  void fineTuneOfTheTopBlockExportsWithParity(Architecture arch, long ignored) throws Exception {
    Backbone b = RandomWeights.of(arch, size(arch), 11);
    dev.kiln.maven.train.TrainingResult r = dev.kiln.maven.train.Trainer.train(
        dev.kiln.maven.train.TrainingRequest.builder(tiny(), b)
            .mode(dev.kiln.maven.config.Mode.FINE_TUNE).epochs(1).batchSize(4)
            .settings(s -> s.fineTuneBlocks(1).estimateFolds(2)).build(),
        dev.kiln.maven.train.ProgressListener.NONE);
    assertTrue(r.parity().passed(dev.kiln.maven.export.ParityChecker.TOLERANCE),
        arch.id() + ": parity " + r.parity());
    assertEquals("fine-tune", r.metadata().training().get("mode"));
  }

  /** Modes full and scratch (every layer from the pixels) export with parity too. */
  @ParameterizedTest
  @MethodSource("fineTunable")
  void fullAndScratchExportWithParity(Architecture arch, long ignored) throws Exception {
    Backbone b = RandomWeights.of(arch, size(arch), 13);
    for (dev.kiln.maven.config.Mode mode : java.util.List.of(dev.kiln.maven.config.Mode.FULL,
        dev.kiln.maven.config.Mode.SCRATCH)) {
      dev.kiln.maven.train.TrainingResult r = dev.kiln.maven.train.Trainer.train(
          dev.kiln.maven.train.TrainingRequest.builder(tiny(), b).mode(mode).epochs(1)
              .batchSize(4).settings(s -> s.estimateFolds(2)).build(),
          dev.kiln.maven.train.ProgressListener.NONE);
      assertTrue(r.parity().passed(dev.kiln.maven.export.ParityChecker.TOLERANCE),
          arch.id() + " " + mode + ": parity " + r.parity());
      assertEquals(mode.id(), r.metadata().training().get("mode"));
    }
  }
}
