package dev.kiln.maven.cam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.backbone.ParallelBackbones;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The head is found in the graph Kiln exports (output ← [flip mean ←] softmax ← Gemm ← [concat
 * ←] flatten ← average pooling); other heads are named, not drawn; a map averages to the class's
 * score — on real exported models with test-time flip, several depths and two backbones too.
 */
class ClassActivationMapsTest {

  /** 3 maps, 2 classes: {@code W[k][c]}. */
  static final float[] W = {1, -1, 2, 0, -3, 5};

  /** @return x → pool → flatten → [between] → Gemm → Softmax → output */
  static GraphProto graph(String pool, String between) {
    OnnxGraph g = new OnnxGraph();
    g.graph.addInput(OnnxGraph.floatValue("x", -1, 3, 7, 7));
    g.node(pool, "pool", "pooled", "x");
    g.node("Flatten", "flat", "features", "pooled");
    String in = "features";
    if (between != null) {
      g.node(between, "hidden", "hidden", in);
      in = "hidden";
    }
    g.node("Gemm", "dense", "logits", in, g.initializer("W", new long[] {3, 2}, W),
        g.initializer("b", new long[] {2}, new float[] {0.5f, -0.5f}));
    g.node("Softmax", "softmax", "probabilities", "logits");
    g.node("Identity", "output", "output", "probabilities");
    g.graph.addOutput(OnnxGraph.floatValue("output", -1, 2));
    return g.graph.build();
  }

  @Test
  void theLinearHeadOnAveragePooledMapsIsFound() throws Exception {
    PooledHead head = PooledHead.read(graph("GlobalAveragePool", null));
    assertEquals(List.of("x"), head.blocks(), "the maps the pooling averages");
    assertTrue(!head.flip());
    // W[k] = (1, -1), (2, 0), (-3, 5): centred over the two classes
    assertArrayEquals(new float[] {1, 1, -4}, head.weights()[0], 1e-6f);
    assertArrayEquals(new float[] {-1, -1, 4}, head.weights()[1], 1e-6f);
  }

  @Test
  void otherHeadsAreNamedNotDrawn() {
    assertTrue(assertThrows(NotLinear.class, () -> PooledHead
        .read(graph("GlobalMaxPool", null))).getMessage().contains("max-pooled (pooling max)"));
    assertTrue(assertThrows(NotLinear.class, () -> PooledHead
        .read(graph("GlobalAveragePool", "Relu"))).getMessage()
        .contains("hidden layer (hiddenUnits)"));
  }

  @Test
  void aMapAveragesToTheClassScoreWithoutItsBias() {
    Random random = new Random(7);
    int k = 3;
    int h = 7;
    int w = 7;
    float[] maps = new float[2 * k * h * w];
    for (int i = 0; i < maps.length; i++) {
      maps[i] = random.nextFloat();
    }
    float[] weights = {0.3f, -1.2f, 2.5f};
    float[][] cam = ClassActivationMaps.cam(FloatBuffer.wrap(maps), k * h * w, k, h, w, weights);
    double mean = 0;
    for (float[] row : cam) {
      for (float v : row) {
        mean += v / (h * w);
      }
    }
    double score = 0; // the linear layer on the average-pooled maps of the second photo
    for (int c = 0; c < k; c++) {
      double pooled = 0;
      for (int i = 0; i < h * w; i++) {
        pooled += maps[k * h * w + c * h * w + i] / (double) (h * w);
      }
      score += weights[c] * pooled;
    }
    assertEquals(score, mean, 1e-5);
  }

  /** @return x [3, 8, 8] and its 2×2 max pooling [3, 4, 4], each pooled by {@code pool}, joined */
  static GraphProto joined(String secondPool) {
    OnnxGraph g = new OnnxGraph();
    g.graph.addInput(OnnxGraph.floatValue("x", -1, 3, 8, 8));
    g.node("MaxPool", "down", "y", "x").addAttribute(OnnxGraph.ints("kernel_shape", 2, 2))
        .addAttribute(OnnxGraph.ints("strides", 2, 2));
    g.node("GlobalAveragePool", "pool_x", "pooled_x", "x");
    g.node("Flatten", "flat_x", "features_x", "pooled_x");
    g.node(secondPool, "pool_y", "pooled_y", "y");
    g.node("Flatten", "flat_y", "features_y", "pooled_y");
    g.node("Concat", "joined", "features", "features_x", "features_y")
        .addAttribute(OnnxGraph.integer("axis", 1));
    float[] w = new float[6 * 2];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 5) - 2;
    }
    g.node("Gemm", "dense", "logits", "features", g.initializer("W", new long[] {6, 2}, w),
        g.initializer("b", new long[] {2}, new float[] {0.5f, -0.5f}));
    g.node("Softmax", "softmax", "probabilities", "logits");
    g.graph.addOutput(OnnxGraph.floatValue("probabilities", -1, 2));
    return g.graph.build();
  }

  @Test
  void aConcatOfAveragePooledBlocksIsFoundBlockByBlock() throws Exception {
    PooledHead head = PooledHead.read(joined("GlobalAveragePool"));
    assertEquals(List.of("x", "y"), head.blocks(), "in the order the Concat joins them");
    assertEquals(6, head.weights()[0].length);
    assertTrue(assertThrows(NotLinear.class, () -> PooledHead
        .read(joined("GlobalMaxPool"))).getMessage().contains("max-pooled (pooling max)"),
        "one max-pooled block is not exact");
    // one forward pass on a random input: each block's map averages to its part of the score
    ModelProto model = ModelProto.newBuilder().setIrVersion(8).addOpsetImport(
        dev.kiln.onnx.OnnxProto.OperatorSetIdProto.newBuilder().setVersion(13))
        .setGraph(joined("GlobalAveragePool")).build();
    Random random = new Random(3);
    float[] input = new float[2 * 3 * 8 * 8];
    for (int i = 0; i < input.length; i++) {
      input[i] = random.nextFloat() - 0.3f;
    }
    assertExact(model, head, input, new long[] {2, 3, 8, 8});
  }

  @Test
  void testTimeFlipIsReadFromTheMirroredBatch() throws Exception {
    OnnxGraph g = new OnnxGraph();
    g.graph.addInput(OnnxGraph.floatValue("input", -1, 3, 7, 7));
    // as OnnxExporter writes it (the real export: testTimeFlipGetsTheMeanOfBothBranchesMaps)
    g.node("Slice", "flip_mirror", "flip_mirrored", "input",
        g.int64Initializer("flip_starts", -1), g.int64Initializer("flip_ends", Long.MIN_VALUE),
        g.int64Initializer("flip_axes", 3), g.int64Initializer("flip_steps", -1));
    g.node("Concat", "flip_concat", "flip_batch", "input", "flip_mirrored")
        .addAttribute(OnnxGraph.integer("axis", 0));
    g.node("GlobalAveragePool", "pool", "pooled", "flip_batch");
    g.node("Flatten", "flat", "features", "pooled");
    g.node("Gemm", "dense", "logits", "features", g.initializer("W", new long[] {3, 2}, W),
        g.initializer("b", new long[] {2}, new float[] {0.5f, -0.5f}));
    g.node("Softmax", "softmax", "probabilities", "logits");
    g.node("Reshape", "flip_reshape", "flip_pairs", "probabilities",
        g.int64Initializer("flip_shape", 2, -1, 2));
    g.node("ReduceMean", "flip_mean", "flip_averaged", "flip_pairs")
        .addAttribute(OnnxGraph.ints("axes", 0)).addAttribute(OnnxGraph.integer("keepdims", 0));
    g.node("Identity", "output", "output", "flip_averaged");
    g.graph.addOutput(OnnxGraph.floatValue("output", -1, 2));
    PooledHead head = PooledHead.read(g.graph.build());
    assertTrue(head.flip());
    assertEquals(List.of("flip_batch"), head.blocks());
    // a different second half is not the mirror image
    OnnxGraph other = new OnnxGraph();
    other.graph.mergeFrom(g.graph.build());
    for (int i = 0; i < other.graph.getNodeCount(); i++) {
      if (other.graph.getNode(i).getName().equals("flip_mirror")) {
        other.graph.setNode(i, other.graph.getNode(i).toBuilder().setInput(3, "flip_starts"));
      }
    }
    assertTrue(assertThrows(NotLinear.class, () -> PooledHead
        .read(other.graph.build())).getMessage().contains("not read as its mirror image"));
  }

  @Test
  void aCoarserBlockIsUpsampledBilinearlyWithItsMeanKept() {
    float[][] coarse = {{0, 1}, {2, 7}};
    float[][] up = ClassActivationMaps.resized(coarse, 4, 4);
    assertEquals(ClassActivationMaps.mean(coarse), ClassActivationMaps.mean(up), 1e-6);
    assertTrue(up[0][0] < up[1][1] && up[1][1] < up[2][2] && up[2][2] < up[3][3],
        "bilinear: it rises towards the hot corner");
    // cell centres at 0, 0.25, 0.75, 1 of the coarse grid (half-pixel, the border repeated)
    assertEquals(0.25, up[0][1] - up[0][0], 1e-6, "top row: from 0 towards 1");
    assertEquals(1.0, up[1][2] - up[1][1], 1e-6, "a half step of 1 and 5, weighted 3:1");
    assertEquals(2.0, up[2][2] - up[2][1], 1e-6, "a half step of 1 and 5, weighted 1:3");
    assertEquals(1.25, up[3][3] - up[3][2], 1e-6, "bottom row: a quarter step from 2 to 7");
    float[][] flat = ClassActivationMaps.resized(new float[][] {{2, 2}, {2, 2}}, 4, 4);
    for (float[] row : flat) {
      assertArrayEquals(new float[] {2, 2, 2, 2}, row, 1e-6f);
    }
  }

  @Test
  void theMirrorImagesMapIsMirroredBackAndAveraged() {
    float[][] photo = {{1, 0, 0}, {1, 0, 0}};
    float[][] mirrorImage = {{0, 0, 3}, {0, 0, 3}}; // the same place, seen mirrored
    float[][] fine = {{0, 0, 0}, {0, 0, 0}};
    float[][] map = ClassActivationMaps.combine(List.of(List.of(photo, fine),
        List.of(mirrorImage, fine)));
    assertArrayEquals(new float[] {2, 0, 0}, map[0], 1e-6f);
    assertArrayEquals(new float[] {2, 0, 0}, map[1], 1e-6f);
  }

  // real exported models

  @TempDir
  static Path project;

  static Dataset data;
  static Backbone v1;

  static final Path V2 = Fixtures.root().resolve("backbones/mobilenet_v2_0.5_224_keras/"
      + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5");

  @BeforeAll
  static void photos() throws Exception {
    Path images = dev.kiln.maven.TestData.copyHymenoptera(project.resolve("images"), 5);
    data = DatasetScanner.scan(new DatasetScanner.Request(images, List.of(), List.of(), 0.4, 42));
    v1 = dev.kiln.maven.TestData.mobilenet(128);
  }

  static TrainingResult train(Backbone backbone, boolean flip) throws Exception {
    return Trainer.train(TrainingRequest.builder(data, backbone).settings(s -> s
        .mode(Mode.FEATURE_EXTRACTOR).testTimeFlip(flip)).build(), ProgressListener.NONE);
  }

  @Test
  void testTimeFlipGetsTheMeanOfBothBranchesMaps() throws Exception {
    ActivationMaps maps = drawnAndExact(train(v1, true), true, List.of("4x4"));
    assertTrue(maps.note().startsWith("Where the model looks") && maps.note().contains(
        "the map is the mean of the photo's map and its mirror image's map, mirrored back"),
        maps.note());
  }

  @Test
  void severalDepthsGetTheSumOfTheirBlocksMaps() throws Exception {
    ActivationMaps maps = drawnAndExact(train(v1.withFeatureDepths(3), false),
        false, List.of("8x8", "4x4", "4x4"));
    assertTrue(maps.note().contains("3 blocks (8x8, 4x4 and 4x4 feature maps): each block's"
        + " map is upsampled bilinearly to 8x8 with its mean kept"), maps.note());
  }

  @Test
  void twoBackbonesGetTheSumOfTheirBlocksMaps() throws Exception {
    Backbone both = ParallelBackbones.combine(List.of(v1, BackboneResolver.resolve(V2, 128)),
        Preprocessing.Resize.CENTER_CROP);
    ActivationMaps maps = drawnAndExact(train(both, false), false, List.of("4x4", "4x4"));
    assertTrue(maps.note().contains("2 blocks (4x4 and 4x4 feature maps): each block's map is"
        + " on the same grid"), maps.note());
  }

  /**
   * The validation photos' maps are drawn, and for each photo (each branch under flip) the
   * blocks' maps, on their own grids, average to the believed class's centred logit without its
   * centred bias, read from the model's own Gemm.
   */
  static ActivationMaps drawnAndExact(TrainingResult r, boolean flip, List<String> grids)
      throws Exception {
    ModelProto model = ModelProto.parseFrom(r.onnx());
    PooledHead head = PooledHead.read(model.getGraph());
    assertEquals(flip, head.flip());
    assertEquals(grids.size(), head.blocks().size(), head.blocks().toString());
    List<LabelledImage> photos = data.validation().stream().limit(4).toList();
    Preprocessing spec = r.metadata().preprocessing();
    float[] input = new float[photos.size() * spec.tensorSize()];
    for (int i = 0; i < photos.size(); i++) {
      Preprocessor.writeTensor(Preprocessor.load(photos.get(i).file(), spec), spec, input,
          i * spec.tensorSize());
    }
    List<int[]> read = assertExact(model, head, input, spec.shape(photos.size()));
    assertEquals(grids, read.stream().map(g -> g[0] + "x" + g[1]).toList());
    ActivationMaps maps = ClassActivationMaps.draw(r.onnx(), r.metadata(), data.root(),
        photos.stream().map(LabelledImage::relativePath).toList());
    assertEquals(photos.size(), maps.overlays().size(), maps.note());
    return maps;
  }

  /** @return the blocks' grids; asserts every photo's and branch's maps are exact */
  static List<int[]> assertExact(ModelProto model, PooledHead head, float[] input,
      long[] shape) throws Exception {
    NodeProto gemm = model.getGraph().getNodeList().stream()
        .filter(n -> n.getOpType().equals("Gemm")).reduce((a, b) -> {
          throw new AssertionError("one Gemm");
        }).orElseThrow();
    TensorProto b = model.getGraph().getInitializerList().stream()
        .filter(t -> t.getName().equals(gemm.getInput(2))).findFirst().orElseThrow();
    float[] bias = OnnxGraph.floats(b);
    ModelProto probe = ClassActivationMaps.withMaps(model, head).toBuilder()
        .setGraph(ClassActivationMaps.withMaps(model, head).getGraph().toBuilder()
            .addOutput(OnnxGraph.floatValue(gemm.getOutput(0), (long[]) null)))
        .build();
    String output = model.getGraph().getOutput(0).getName();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<int[]> grids = new ArrayList<>();
    int n = (int) shape[0];
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(probe.toByteArray(), so)) {
      List<ClassActivationMaps.PhotoMaps> maps = ClassActivationMaps.forward(session, output,
          head, input, shape, grids);
      float[][] logits;
      try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
          OrtSession.Result r = session.run(Map.of(session.getInputNames().iterator().next(), x),
              Set.of(gemm.getOutput(0)))) {
        logits = (float[][]) r.get(0).getValue(); // [N, classes], or [2N, classes] with flip
      }
      int branches = head.flip() ? 2 : 1;
      assertEquals(n * branches, logits.length);
      for (int j = 0; j < n; j++) {
        ClassActivationMaps.PhotoMaps m = maps.get(j);
        int c = m.believed();
        assertEquals(branches, m.blocks().size());
        double drawn = 0;
        for (int branch = 0; branch < branches; branch++) {
          float[] row = logits[j + branch * n];
          double expected = centred(row, c) - centred(bias, c);
          double mean = 0;
          for (float[][] block : m.blocks().get(branch)) {
            mean += ClassActivationMaps.mean(block);
          }
          assertEquals(expected, mean, 1e-4 * Math.max(1, Math.abs(expected)), "photo " + j
              + ", branch " + branch + ": the map averages to the class's centred logit less"
              + " its centred bias");
          drawn += mean / branches;
        }
        assertEquals(drawn, ClassActivationMaps.mean(m.map()), 1e-4 * Math.max(1,
            Math.abs(drawn)), "the drawn map keeps each block's and branch's mean");
      }
    }
    return grids;
  }

  private static double centred(float[] v, int c) {
    double mean = 0;
    for (float x : v) {
      mean += x / (double) v.length;
    }
    return v[c] - mean;
  }
}
