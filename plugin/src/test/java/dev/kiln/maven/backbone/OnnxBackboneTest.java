package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.export.OnnxSurgery;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX backbones from the real PyTorch exports in {@code fixtures/onnx/torch}: the default cut
 * (the classifier's input, or the first output of a features-only export), the head trained on
 * hymenoptera, the shipped model = the user's graph stitched to the head with parity ≤ 1e-4, and
 * the MobileNetV2 α0.5 export classifying {@code val/} within one photo of the same network loaded
 * from the Keras {@code .h5}.
 */
class OnnxBackboneTest {

  static final String MINUS_ONE_TO_ONE = "size=224x224;mean=127.5,127.5,127.5;std=127.5,127.5,127.5";
  static final String CAFFE = "size=224x224;channels=BGR;mean=103.939,116.779,123.68";
  static final String TORCHVISION = "size=224x224;scale=1;mean=123.675,116.28,103.53;"
      + "std=58.395,57.12,57.375";

  static Dataset data;

  @BeforeAll
  static void scan() throws Exception {
    data = dev.kiln.maven.TestData.hymenoptera();
  }

  static Path torch(String file) {
    return Fixtures.root().resolve("onnx/torch").resolve(file);
  }

  static Stream<Arguments> exports() {
    return Stream.of(
        Arguments.of("mobilenet_v2_0.5_224_torch/mobilenet_v2_0.5_224_torch.onnx",
            MINUS_ONE_TO_ONE, "features", new long[] {1, 1280, 7, 7}),
        Arguments.of("squeezenet1.1_features_torch/squeezenet1.1_features_torch.onnx", CAFFE,
            "features", new long[] {1, 512, 13, 13}),
        Arguments.of("random_structure/efficientnet_b0_w0.25_d0.5_random.onnx", TORCHVISION,
            "/features/features.8/features.8.2/Mul_output_0", new long[] {1, 320, 7, 7}),
        Arguments.of("random_structure/mobilenet_v3_small_w0.5_random.onnx", TORCHVISION,
            "/features/features.12/features.12.2/Mul_output_0", new long[] {1, 288, 7, 7}),
        Arguments.of("random_structure/resnet_basic_1111_w0.25_random.onnx", TORCHVISION,
            "/layer4/layer4.0/relu_1/Relu_output_0", new long[] {1, 128, 7, 7}));
  }

  @ParameterizedTest
  @MethodSource("exports")
  void cutsTrainsAndShipsTheUsersGraphWithParity(String file, String preprocessing, String cut,
      long[] shape) throws Exception {
    Backbone b = OnnxBackbones.resolve(torch(file), null, preprocessing,
        Preprocessing.Resize.CENTER_CROP);
    OnnxArchitecture arch = (OnnxArchitecture) b.architecture();
    assertEquals(cut, arch.cut(), arch.why());
    assertArrayEquals(shape, arch.cutShape());
    // random weights give features that barely differ between photos: the L-BFGS head then
    // takes huge weights, and float32 rounding in the head alone exceeds 1e-4 on probabilities;
    // an Adam head of a few epochs keeps them of the size real features give
    boolean random = file.startsWith("random_structure/");
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, b)
        .settings(s -> s.epochs(random ? 3 : 50).preprocessing(preprocessing).headSolver(random ? "adam" : "auto")).build(), ProgressListener.NONE);
    System.out.printf("%s: cut %s %s; estimate %s; parity %.2e%n", file, cut,
        java.util.Arrays.toString(shape), r.estimate().line(), r.parity().maxAbsDiff());
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE), "parity " + r.parity());
    // the shipped graph holds the user's nodes unchanged, and the head after them
    var shipped = OnnxSurgery.parse(r.onnx());
    var user = OnnxSurgery.parse(Files.readAllBytes(torch(file)));
    assertTrue(shipped.getGraph().getNodeList().stream().anyMatch(n ->
        n.getName().equals("backbone/" + user.getGraph().getNode(1).getName())));
    assertEquals("probabilities", shipped.getGraph().getOutput(0).getName());
  }

  /**
   * Fine-tune imports the top units into DL4J (SE gates, hard-swish, residual blocks among
   * them), trains them, writes the weights back into the user's graph and ships it with parity
   * against the trained DL4J network.
   */
  @ParameterizedTest
  @MethodSource("exports")
  void fineTunesTheTopUnitsAndShipsTheUsersGraphWithTheNewWeights(String file,
      String preprocessing, String cut, long[] shape) throws Exception {
    Backbone b = OnnxBackbones.resolve(torch(file), null, preprocessing,
        Preprocessing.Resize.CENTER_CROP, true);
    OnnxArchitecture arch = (OnnxArchitecture) b.architecture();
    OnnxBackbones.checkImport(b, 2);
    boolean random = file.startsWith("random_structure/");
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, b).settings(s -> s.mode(Mode.FINE_TUNE).epochs(2).preprocessing(preprocessing).fineTuneBlocks(2)
            .headSolver(random ? "adam" : "auto")).build(), ProgressListener.NONE);
    System.out.printf("%s fine-tune (2 of %d units, from %s): estimate %s; parity %.2e%n", file,
        arch.trainableUnits(), arch.cutBefore(2), r.estimate().line(), r.parity().maxAbsDiff());
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE), "parity " + r.parity());
    assertEquals("fine-tune", r.metadata().training().get("mode"));
    var shipped = OnnxSurgery.parse(r.onnx());
    assertTrue(shipped.getGraph().getInitializerList().stream()
        .anyMatch(t -> t.getName().startsWith("backbone/kiln_trained/")), "weights written back");
  }

  /** Mode full trains every layer of the imported graph. */
  @Test
  void fullTrainsTheWholeImportedGraph() throws Exception {
    String pre = TORCHVISION;
    Backbone b = OnnxBackbones.resolve(
        torch("random_structure/resnet_basic_1111_w0.25_random.onnx"), null, pre,
        Preprocessing.Resize.CENTER_CROP, true);
    OnnxBackbones.checkImport(b, 0);
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, b).settings(s -> s.mode(Mode.FULL).epochs(1).preprocessing(pre).headSolver("adam")).build(),
        ProgressListener.NONE);
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE), "parity " + r.parity());
    assertEquals("full", r.metadata().training().get("mode"));
  }

  @Test
  void mobileNetV2FromPyTorchClassifiesLikeTheKerasWeights() throws Exception {
    Backbone onnx = OnnxBackbones.resolve(
        torch("mobilenet_v2_0.5_224_torch/mobilenet_v2_0.5_224_torch.onnx"), null,
        MINUS_ONE_TO_ONE, Preprocessing.Resize.CENTER_CROP);
    Backbone keras = BackboneResolver.resolve(MobileNetV2Test.h5(), 224);
    TrainingResult a = Trainer.train(TrainingRequest.builder(data, onnx)
        .settings(s -> s.preprocessing(MINUS_ONE_TO_ONE)).build(), ProgressListener.NONE);
    TrainingResult k = Trainer.train(TrainingRequest.builder(data, keras).build(),
        ProgressListener.NONE);
    int right = (int) Math.round(a.validation().accuracy() * a.validation().images());
    int rightKeras = (int) Math.round(k.validation().accuracy() * k.validation().images());
    System.out.printf("MobileNetV2 0.5 on hymenoptera val/: ONNX (PyTorch) %d/%d, Keras h5"
        + " %d/%d%n", right, a.validation().images(), rightKeras, k.validation().images());
    assertEquals(73, a.validation().images());
    assertTrue(Math.abs(right - rightKeras) <= 1, right + " vs " + rightKeras);
  }

  /** The feature cache knows the stated normalisation: changing it recomputes the features. */
  @Test
  void changingThePreprocessingRecomputesCachedFeatures(@TempDir Path cache) throws Exception {
    Path file = torch("random_structure/resnet_basic_1111_w0.25_random.onnx");
    int[][] counts = new int[3][];
    String[] specs = {TORCHVISION, TORCHVISION, MINUS_ONE_TO_ONE};
    for (int i = 0; i < 3; i++) {
      String pre = specs[i];
      TrainingResult r = Trainer.train(TrainingRequest.builder(data, OnnxBackbones.resolve(file,
          null, pre, Preprocessing.Resize.CENTER_CROP)).settings(s -> s.cacheDir(cache).epochs(1).preprocessing(pre).headSolver("adam")).build(), ProgressListener.NONE);
      counts[i] = new int[] {r.timings().frozenImages(), r.timings().cachedImages()};
    }
    assertEquals(0, counts[0][1], "first build: nothing cached");
    assertEquals(0, counts[1][0], "same settings: every photo from the cache");
    assertEquals(counts[0][0], counts[2][0], "other normalisation: every photo again");
  }

  /** int8 and fp16 work on the user's graph too (its Constant nodes, its casts). */
  @Test
  void theStitchedGraphQuantizes() throws Exception {
    Backbone b = OnnxBackbones.resolve(
        torch("mobilenet_v2_0.5_224_torch/mobilenet_v2_0.5_224_torch.onnx"), null,
        MINUS_ONE_TO_ONE, Preprocessing.Resize.CENTER_CROP);
    for (String kind : List.of("int8", "fp16")) {
      TrainingResult r = Trainer.train(TrainingRequest.builder(data, b)
          .settings(s -> s.preprocessing(MINUS_ONE_TO_ONE).quantize(kind)).build(),
          ProgressListener.NONE);
      System.out.println("MobileNetV2 0.5 (PyTorch) " + r.quantization());
      assertEquals(kind, r.quantization().kind());
      assertTrue(Math.abs(r.quantization().accuracy() - r.quantization().floatAccuracy())
          <= 1.0 / 73 + 1e-9, r.quantization().toString());
    }
  }

  @Test
  void aKilnModelIsABackboneWithItsOwnPreprocessing(@TempDir Path tmp) throws Exception {
    Backbone keras = BackboneResolver.resolve(Fixtures.mobilenetH5(), 128);
    TrainingResult first = Trainer.train(TrainingRequest.builder(data, keras).build(),
        ProgressListener.NONE);
    Path model = tmp.resolve("insects.onnx");
    Files.write(model, first.onnx());
    Backbone own = OnnxBackbones.resolve(model, null, null,
        Preprocessing.Resize.CENTER_CROP);
    OnnxArchitecture arch = (OnnxArchitecture) own.architecture();
    assertEquals(128, own.inputSize());
    assertEquals(256, arch.features()); // MobileNet v1 α0.25's last feature map
    TrainingResult second = Trainer.train(TrainingRequest.builder(data, own).build(),
        ProgressListener.NONE);
    assertTrue(second.parity().passed(ParityChecker.TOLERANCE), "parity " + second.parity());
    assertTrue(second.estimate().accuracy() > 0.75, second.estimate().line());
  }

  /** An operator Kiln cannot import fails naming itself, its node and what still works. */
  @Test
  void anOperatorOutsideTheSubsetIsNamed(@TempDir Path tmp) throws Exception {
    var m = OnnxSurgery.parse(Files.readAllBytes(
        torch("random_structure/resnet_basic_1111_w0.25_random.onnx"))).toBuilder();
    var g = m.getGraphBuilder();
    String node = null;
    for (var n : g.getNodeBuilderList()) {
      if (n.getOpType().equals("Relu")) {
        n.setOpType("Softplus"); // a valid ONNX operator that Kiln does not import
        node = node == null ? n.getName() : node; // the first one fails first
      }
    }
    Path file = tmp.resolve("softplus.onnx");
    Files.write(file, m.build().toByteArray());
    Backbone b = OnnxBackbones.resolve(file, null, TORCHVISION,
        Preprocessing.Resize.CENTER_CROP, true);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxBackbones.checkImport(b, 0));
    assertTrue(e.getMessage().contains("operator Softplus") && e.getMessage().contains(node)
        && e.getMessage().contains("feature-extractor works"), e.getMessage());
    // feature-extractor still trains on it
    TrainingResult r = Trainer.train(TrainingRequest.builder(data,
        OnnxBackbones.resolve(file, null, TORCHVISION, Preprocessing.Resize.CENTER_CROP))
        .settings(s -> s.epochs(2).preprocessing(TORCHVISION).headSolver("adam")).build(),
        ProgressListener.NONE);
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE));
  }

  /**
   * A squeeze-and-excite written with Reshape and Gemm (as some exports do): pooled map →
   * Reshape to a vector → Gemm → Sigmoid → Reshape back → Mul, imported and trained in mode full.
   */
  @Test
  void reshapeAndGemmInsideTheNetworkImport(@TempDir Path tmp) throws Exception {
    var g = dev.kiln.onnx.OnnxProto.GraphProto.newBuilder().setName("se");
    java.util.Random r = new java.util.Random(3);
    g.addInput(value("input", 1, 3, 32, 32));
    g.addInitializer(tensor("w1", r, 8, 3, 3, 3));
    g.addInitializer(tensor("b1", r, 8));
    g.addInitializer(tensor("wse", r, 8, 8));
    g.addInitializer(tensor("bse", r, 8));
    g.addInitializer(dev.kiln.onnx.OnnxProto.TensorProto.newBuilder()
        .setName("to_vec").setDataType(7).addDims(2).addInt64Data(0).addInt64Data(-1));
    g.addInitializer(dev.kiln.onnx.OnnxProto.TensorProto.newBuilder()
        .setName("to_map").setDataType(7).addDims(4).addInt64Data(0).addInt64Data(8)
        .addInt64Data(1).addInt64Data(1));
    g.addInitializer(tensor("wfc", r, 10, 8));
    g.addNode(node("Conv", "conv", "conv_out", "input", "w1", "b1")
        .addAttribute(ints("pads", 1, 1, 1, 1)).addAttribute(ints("kernel_shape", 3, 3)));
    g.addNode(node("Relu", "relu", "relu_out", "conv_out"));
    g.addNode(node("GlobalAveragePool", "se_pool", "se_pooled", "relu_out"));
    g.addNode(node("Reshape", "se_flat", "se_vec", "se_pooled", "to_vec"));
    g.addNode(node("Gemm", "se_fc", "se_fc_out", "se_vec", "wse", "bse")
        .addAttribute(dev.kiln.onnx.OnnxProto.AttributeProto.newBuilder()
            .setName("transB").setType(dev.kiln.onnx.OnnxProto.AttributeProto
                .AttributeType.INT).setI(1)));
    g.addNode(node("Sigmoid", "se_gate", "se_gate_out", "se_fc_out"));
    g.addNode(node("Reshape", "se_back", "se_gate_map", "se_gate_out", "to_map"));
    g.addNode(node("Mul", "se_mul", "excited", "relu_out", "se_gate_map"));
    g.addNode(node("GlobalAveragePool", "pool", "pooled", "excited"));
    g.addNode(node("Flatten", "flatten", "flat", "pooled"));
    g.addNode(node("Gemm", "fc", "logits", "flat", "wfc")
        .addAttribute(dev.kiln.onnx.OnnxProto.AttributeProto.newBuilder()
            .setName("transB").setType(dev.kiln.onnx.OnnxProto.AttributeProto
                .AttributeType.INT).setI(1)));
    g.addOutput(value("logits", 1, 10));
    Path file = tmp.resolve("se.onnx");
    Files.write(file, dev.kiln.onnx.OnnxProto.ModelProto.newBuilder()
        .setIrVersion(7).addOpsetImport(dev.kiln.onnx.OnnxProto.OperatorSetIdProto
            .newBuilder().setDomain("").setVersion(13)).setGraph(g).build().toByteArray());
    String pre = "size=32x32;mean=127.5,127.5,127.5;std=127.5,127.5,127.5";
    Backbone b = OnnxBackbones.resolve(file, null, pre, Preprocessing.Resize.CENTER_CROP,
        true);
    assertEquals("excited", ((OnnxArchitecture) b.architecture()).cut());
    OnnxBackbones.checkImport(b, 0);
    TrainingResult t = Trainer.train(TrainingRequest.builder(data, b).settings(s -> s.mode(Mode.FULL).epochs(1).preprocessing(pre).headSolver("adam")).build(), ProgressListener.NONE);
    assertTrue(t.parity().passed(ParityChecker.TOLERANCE), "parity " + t.parity());
  }

  private static dev.kiln.onnx.OnnxProto.NodeProto.Builder node(String op,
      String name, String out, String... in) {
    var n = dev.kiln.onnx.OnnxProto.NodeProto.newBuilder().setOpType(op)
        .setName(name).addOutput(out);
    for (String i : in) {
      n.addInput(i);
    }
    return n;
  }

  private static dev.kiln.onnx.OnnxProto.AttributeProto ints(String name,
      long... v) {
    var a = dev.kiln.onnx.OnnxProto.AttributeProto.newBuilder().setName(name)
        .setType(dev.kiln.onnx.OnnxProto.AttributeProto.AttributeType.INTS);
    for (long x : v) {
      a.addInts(x);
    }
    return a.build();
  }

  private static dev.kiln.onnx.OnnxProto.TensorProto tensor(String name,
      java.util.Random r, long... dims) {
    var t = dev.kiln.onnx.OnnxProto.TensorProto.newBuilder().setName(name)
        .setDataType(1);
    long n = 1;
    for (long d : dims) {
      t.addDims(d);
      n *= d;
    }
    for (long i = 0; i < n; i++) {
      t.addFloatData((float) (r.nextGaussian() * 0.3));
    }
    return t.build();
  }

  private static dev.kiln.onnx.OnnxProto.ValueInfoProto value(String name,
      long... dims) {
    var shape = dev.kiln.onnx.OnnxProto.TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(dev.kiln.onnx.OnnxProto.TensorShapeProto.Dimension.newBuilder()
          .setDimValue(d));
    }
    return dev.kiln.onnx.OnnxProto.ValueInfoProto.newBuilder().setName(name)
        .setType(dev.kiln.onnx.OnnxProto.TypeProto.newBuilder().setTensorType(
            dev.kiln.onnx.OnnxProto.TypeProto.Tensor.newBuilder().setElemType(1)
                .setShape(shape))).build();
  }

  @Test
  void weightsInExternalFilesAreRefused() throws Exception {
    var m = OnnxSurgery.parse(Files.readAllBytes(
        torch("random_structure/resnet_basic_1111_w0.25_random.onnx"))).toBuilder();
    m.getGraphBuilder().getInitializerBuilder(0).setDataLocation(1).clearRawData();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxSurgery.parse(m.build().toByteArray()));
    assertTrue(e.getMessage().contains("external data"), e.getMessage());
  }

  @Test
  void userMistakesAreNamed() throws Exception {
    Path file = torch("random_structure/resnet_basic_1111_w0.25_random.onnx");
    UserProblemException none = assertThrows(UserProblemException.class,
        () -> OnnxBackbones.resolve(file, null, null, Preprocessing.Resize.CENTER_CROP));
    assertTrue(none.getMessage().contains("<preprocessing>"), none.getMessage());
    UserProblemException cut = assertThrows(UserProblemException.class,
        () -> OnnxBackbones.resolve(file, "no_such_tensor", TORCHVISION,
            Preprocessing.Resize.CENTER_CROP));
    assertTrue(cut.getMessage().contains("no_such_tensor")
        && cut.getMessage().contains("/layer4/layer4.0/relu_1/Relu_output_0"), cut.getMessage());
    UserProblemException notOnnx = assertThrows(UserProblemException.class,
        () -> OnnxBackbones.resolve(Fixtures.mobilenetH5(), null, TORCHVISION,
            Preprocessing.Resize.CENTER_CROP));
    assertTrue(notOnnx.getMessage().contains("not an ONNX model"), notOnnx.getMessage());
  }
}
