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
      if (REDUCED.keySet().stream().anyMatch(e.family()::startsWith)) {
        continue;
      }
      smallest.merge(e.family(), e, (x, y) -> x.parameters() <= y.parameters() ? x : y);
      largest.merge(e.family(), e, (x, y) -> x.parameters() >= y.parameters() ? x : y);
    }
    Map<String, Arguments> byId = new java.util.LinkedHashMap<>();
    for (String family : smallest.keySet()) {
      for (BackboneCatalog.Entry e : List.of(smallest.get(family), largest.get(family))) {
        byId.putIfAbsent(e.architecture().id(), Arguments.of(e.architecture(), e.parameters()));
      }
    }
    return Stream.concat(byId.values().stream(), reduced());
  }

  /**
   * Families whose full-size networks are too slow to run on random weights here (DenseNet201,
   * EfficientNetB7, NASNetMobile's 12 cells): a reduced copy — the same blocks, fewer of them
   * or narrower, named so — with its own parameter count (the full sizes' counts are checked
   * against Keras' in DenseNetTest, EfficientNetTest, NasNetTest without running them).
   */
  static final Map<String, Architecture> REDUCED = Map.of("densenet", DenseNet.reduced(),
      "efficientnet", EfficientNet.reduced(), "nasnet", NasNet.reduced());

  static Stream<Arguments> reduced() {
    return Stream.of(Arguments.of(REDUCED.get("densenet"), 419_776L),
        Arguments.of(REDUCED.get("efficientnet"), 205_900L),
        Arguments.of(REDUCED.get("nasnet"), 73_370L));
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
        if (max > 1e-4 * scale) {
          // DL4J may reuse an activation array in place further on (NASNet's stem_bn1, read
          // again by the cells): the cut as training builds and exports it, alone
          max = cutAlone(b, cut, size, rawPixels, netInput);
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

  /** @return the largest difference of the cut exported alone (as training exports it) */
  static double cutAlone(Backbone b, String cut, int size, float[] raw, INDArray net)
      throws Exception {
    ComputationGraph g = b.featureMapGraph(cut);
    INDArray expected = g.outputSingle(false, net);
    byte[] onnx = OnnxExporter.export(g, new long[] {3, size, size},
        new OnnxExporter.Options(b.normalization(), Map.of(), "features"));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(onnx);
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(raw),
            new long[] {1, 3, size, size});
        var r = s.run(Map.of(OnnxExporter.INPUT, t))) {
      FloatBuffer o = ((OnnxTensor) r.get(0)).getFloatBuffer();
      double max = 0;
      for (float v : expected.dup('c').data().asFloat()) {
        max = Math.max(max, Math.abs(o.get() - v));
      }
      return max;
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

  /**
   * Every catalogued family (its largest variant), fine-tuned on random weights. (MobileNetV2
   * used to diverge here: with BatchNorm statistics drawn at random its activations grew block
   * after block until float32 rounding exceeded the tolerance; {@link RandomWeights} now
   * calibrates the statistics as training would.)
   */
  static Stream<Arguments> fineTunable() {
    Map<String, BackboneCatalog.Entry> largest = new java.util.LinkedHashMap<>();
    for (BackboneCatalog.Entry e : BackboneCatalog.entries()) {
      if (REDUCED.keySet().stream().noneMatch(e.family()::startsWith)) {
        largest.merge(e.family(), e, (x, y) -> x.parameters() >= y.parameters() ? x : y);
      }
    }
    return Stream.concat(largest.values().stream().map(e -> Arguments.of(e.architecture(),
        e.parameters())), reduced());
  }

  /**
   * The top block trained (BatchNorm folded) for a step on feature maps, put into the whole
   * network as fine-tune ships it, and exported with parity: the graph factory and the exporter
   * alone, as the training pipeline calls them.
   */
  @ParameterizedTest
  @MethodSource("fineTunable")
  void fineTuneOfTheTopBlockExportsWithParity(Architecture arch, long ignored) throws Exception {
    int size = size(arch);
    Backbone b = RandomWeights.of(arch, size, 11);
    ComputationGraph top = b.topGraph(1, 3, 0.2, 11,
        new org.nd4j.linalg.learning.config.Adam(1e-3), 1e-4);
    long[] map = arch.shapeAfter(arch.cutBefore(1), size);
    Nd4j.getRandom().setSeed(5);
    trainOneStep(top, Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4, map[0], map[1],
        map[2]).muli(2).subi(1));
    ComputationGraph whole = b.fineTunedGraph(1, 3, 0.2, 11);
    copyByName(top, whole);
    assertParity(whole, b, size, arch.id() + " fine-tuned");
  }

  /**
   * Modes full and scratch (every layer from the pixels; scratch's BatchNorm learning its
   * statistics) export with parity after a training step.
   */
  @ParameterizedTest
  @MethodSource("fineTunable")
  void fullAndScratchExportWithParity(Architecture arch, long ignored) throws Exception {
    int size = size(arch);
    Backbone b = RandomWeights.of(arch, size, 13);
    for (boolean pretrained : new boolean[] {true, false}) {
      ComputationGraph whole = b.wholeGraph(pretrained, 3, 0.2, 13,
          new org.nd4j.linalg.learning.config.Adam(1e-3), 1e-4);
      trainOneStep(whole, photosLike(b, 4, size)); // pixels as the pipeline feeds them
      assertParity(whole, b, size, arch.id() + (pretrained ? " full" : " scratch"));
    }
  }

  /** @return {@code n} random 0–255 images normalised as the backbone expects */
  static INDArray photosLike(Backbone b, int n, int size) {
    Random rnd = new Random(5);
    int one = 3 * size * size;
    float[] net = new float[n * one];
    for (int i = 0; i < n; i++) {
      float[] raw = new float[one];
      for (int j = 0; j < one; j++) {
        raw[j] = rnd.nextInt(256);
      }
      System.arraycopy(normalize(raw, b.normalization(), size), 0, net, i * one, one);
    }
    return Nd4j.create(net, new long[] {n, 3, size, size}, 'c');
  }

  /** One Adam step on {@code x} with labels 0, 1, 2, 0, ... */
  static void trainOneStep(ComputationGraph g, INDArray x) {
    long[] shape = x.shape();
    INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, shape[0], 3);
    for (int i = 0; i < shape[0]; i++) {
      y.putScalar(i, i % 3, 1);
    }
    g.fit(new org.nd4j.linalg.dataset.DataSet(x, y));
  }

  static void copyByName(ComputationGraph from, ComputationGraph to) {
    for (var layer : from.getLayers()) {
      if (layer.numParams() > 0) {
        var target = to.getLayer(layer.conf().getLayer().getLayerName());
        layer.paramTable().forEach((key, value) -> target.getParam(key).assign(value));
      }
    }
  }

  /**
   * The whole classifier exported as the pipeline exports it (normalisation inside, softmax
   * out) gives DL4J's probabilities on ONNX Runtime within the parity tolerance.
   */
  static void assertParity(ComputationGraph whole, Backbone b, int size, String what)
      throws Exception {
    float[] raw = new float[2 * 3 * size * size];
    Random rnd = new Random(3);
    for (int i = 0; i < raw.length; i++) {
      raw[i] = rnd.nextInt(256);
    }
    float[] net = new float[raw.length];
    int one = 3 * size * size;
    for (int n = 0; n < 2; n++) {
      System.arraycopy(normalize(java.util.Arrays.copyOfRange(raw, n * one, (n + 1) * one),
          b.normalization(), size), 0, net, n * one, one);
    }
    float[] dl4j = whole.outputSingle(false, Nd4j.create(net, new long[] {2, 3, size, size},
        'c')).dup('c').data().asFloat();
    byte[] onnx = OnnxExporter.export(whole, new long[] {3, size, size},
        new OnnxExporter.Options(b.normalization(), Map.of(), "probabilities"));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(onnx);
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(raw),
            new long[] {2, 3, size, size});
        var r = s.run(Map.of(OnnxExporter.INPUT, t))) {
      float[][] ort = (float[][]) r.get(0).getValue();
      double max = 0;
      for (int n = 0; n < 2; n++) {
        for (int k = 0; k < 3; k++) {
          max = Math.max(max, Math.abs(ort[n][k] - dl4j[n * 3 + k]));
        }
      }
      assertTrue(max <= dev.kiln.maven.export.ParityChecker.TOLERANCE, what + ": parity " + max);
    }
  }
}
