package dev.kiln.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.backbone.BackboneSource;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.config.InvalidSettingException;
import dev.kiln.maven.config.LearningRateSchedule;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.runtime.Device;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mojo → configuration mapping, per goal (as ascopes/protobuf-maven-plugin tests its Mojos):
 * Maven's defaults give the documented configuration, and every {@code @Parameter} reaches what
 * the goal runs with.
 */
class MojoConfigurationTest {

  @TempDir
  Path base;

  private TrainMojo train() throws Exception {
    TrainMojo m = new TrainMojo();
    MojoFields.defaults(m, base);
    MojoFields.set(m, "className", "com.acme.Pets");
    MojoFields.set(m, "backbone", "models/net.h5");
    return m;
  }

  @Test
  void trainDefaultsGiveTheDocumentedConfiguration() throws Exception {
    TrainConfiguration c = train().configuration();
    assertEquals(base.resolve("src/main/images"), c.data().images());
    assertEquals(0.2, c.data().validationSplit());
    assertEquals(new BackboneSource.LocalFile(base.resolve("models/net.h5"), "models/net.h5"),
        c.backbone().source());
    assertEquals(0, c.backbone().inputSize()); // the backbone's own size
    assertEquals(PoolingType.AVG, c.backbone().pooling());
    assertEquals(HeadSolver.AUTO, c.head().solver());
    assertEquals(Mode.AUTO, c.optimisation().mode());
    assertEquals(LearningRateSchedule.CONSTANT, c.optimisation().schedule());
    assertEquals(50, c.optimisation().epochs());
    assertEquals(42, c.optimisation().seed());
    assertEquals(5, c.gates().estimateFolds());
    assertNull(c.gates().maxAccuracyDrop());
    assertEquals(base.resolve("target/classes"), c.outputs().classesDir());
    assertEquals(base.resolve("home/.kiln/cache/features"), c.outputs().cacheDir(),
        "user-level: survives mvn clean");
    assertEquals(2L << 30, c.outputs().cacheMaxBytes());
    assertTrue(c.outputs().suspects());
    assertEquals(Device.AUTO, c.run().device());
    assertEquals("1.2.3", c.run().pluginVersion());
  }

  /**
   * One source of defaults: the Mojo's {@code @Parameter} defaults (what users run on) equal the
   * configuration builder's (what tests and benchmarks run on), section by section; only what
   * Maven itself supplies (the project's folders, the plugin version) is taken from the Mojo.
   */
  @Test
  void theMojosDefaultsAreTheConfigurationBuildersDefaults() throws Exception {
    TrainConfiguration mojo = train().configuration();
    TrainConfiguration builder = TrainConfiguration.builder().baseDir(base)
        .images(mojo.data().images()).className("com.acme.Pets").backbone("models/net.h5")
        .classesDir(mojo.outputs().classesDir()).workDir(mojo.outputs().workDir())
        .generatedSources(mojo.outputs().generatedSources())
        .cacheDir(mojo.outputs().cacheDir())
        .backboneCache(mojo.backbone().download().cacheDir())
        .pluginVersion(mojo.run().pluginVersion()).build();
    assertEquals(builder.data(), mojo.data());
    assertEquals(builder.head(), mojo.head());
    assertEquals(builder.optimisation(), mojo.optimisation());
    assertEquals(builder.gates(), mojo.gates());
    assertEquals(builder.export(), mojo.export());
    assertEquals(builder.outputs(), mojo.outputs());
    assertEquals(builder.run(), mojo.run());
    var b = builder.backbone();
    var m = mojo.backbone();
    assertEquals(java.util.List.of(b.source(), String.valueOf(b.family()),
        String.valueOf(b.preprocessing()), b.inputSize(), String.valueOf(b.featureLayer()),
        b.featureDepths(), b.pooling(), b.resize()), java.util.List.of(m.source(),
        String.valueOf(m.family()), String.valueOf(m.preprocessing()), m.inputSize(),
        String.valueOf(m.featureLayer()), m.featureDepths(), m.pooling(), m.resize()));
    assertEquals(b.download().sha256(), m.download().sha256());
    assertEquals(b.download().mirror(), m.download().mirror());
    assertEquals(b.download().offline(), m.download().offline());
  }

  @Test
  void everyTrainParameterReachesTheConfiguration() throws Exception {
    TrainMojo m = train();
    Map<String, Object> changed = new java.util.HashMap<>();
    changed.put("images", new File(base.toFile(), "photos"));
    changed.put("className", "com.acme.Insects");
    changed.put("includes", List.of("**/*.png"));
    changed.put("excludes", List.of("**/draft-*"));
    changed.put("workDir", new File(base.toFile(), "work"));
    changed.put("validationSplit", 0.3);
    changed.put("seed", 7L);
    changed.put("device", "CPU");
    changed.put("classesDir", new File(base.toFile(), "classes"));
    changed.put("epochs", 10);
    changed.put("batchSize", 32);
    changed.put("learningRate", 0.01);
    changed.put("learningRateSchedule", "warmup-cosine");
    changed.put("pooling", "max");
    changed.put("hiddenUnits", 64);
    changed.put("headSolver", "adam");
    changed.put("dropout", 0.5);
    changed.put("weightDecay", 0.001);
    changed.put("patience", 3);
    changed.put("augmentedCopies", 2);
    changed.put("augmentation", "flip=false");
    changed.put("labelSmoothing", 0.1);
    changed.put("balanceClasses", false);
    changed.put("backbone", "mobilenet_v1_0.25_224");
    changed.put("backboneSha256", "ab");
    changed.put("backboneCache", new File(base.toFile(), "cache2"));
    changed.put("backboneMirror", "/opt/models");
    changed.put("backboneMirrorTrusted", true);
    changed.put("offline", true);
    changed.put("inputSize", 160);
    changed.put("backboneFamily", "mobilenet_v2:0.5");
    changed.put("preprocessing", "size=160x160;mean=127.5,127.5,127.5;std=127.5,127.5,127.5");
    changed.put("mode", "fine-tune");
    changed.put("fineTuneBlocks", 3);
    changed.put("featureLayer", "conv_pw_11_relu");
    changed.put("resize", "stretch");
    changed.put("failOnBadImages", true);
    changed.put("minAccuracy", 0.9);
    changed.put("force", true);
    changed.put("cacheDir", new File(base.toFile(), "fcache"));
    changed.put("cacheMaxSize", "100MB");
    changed.put("maxAccuracyDrop", 0.02);
    changed.put("generatedSources", new File(base.toFile(), "gen"));
    changed.put("estimateFolds", 10);
    changed.put("testTimeFlip", true);
    changed.put("followLinks", false);
    changed.put("quantize", "int8");
    changed.put("maxQuantizationDrop", 0.05);
    changed.put("featureDepths", 2);
    changed.put("suspects", false);
    changed.put("backbones", "mobilenet_v2_0.5_224, squeezenet_1.1");
    changed.put("maxTrainingTime", "90s");
    changed.put("pluginVersion", "9.9");
    changed.put("outputTimestamp", "2026-01-01T00:00:00Z");
    MojoFields.set(m, "backboneMirror", "/opt/mirror"); // backboneMirrorTrusted requires one
    MojoFields.eachParameterReaches(m, changed, Map.of(
        "skip", "checked by the Mojo before any configuration is built",
        "project", "gives the project folder (run.baseDir)",
        "session", "only tells whether modules build in parallel (log prefix)",
        "attachModel", "acts after training: attaches the model file to the project",
        "model", "replaces training: bundled by the Mojo before any configuration is built"),
        m::configuration);
  }

  @Test
  void aBadTrainValueNamesItsSettingAndTheValidChoices() throws Exception {
    TrainMojo m = train();
    MojoFields.set(m, "mode", "quick");
    InvalidSettingException e = assertThrows(InvalidSettingException.class, m::configuration);
    assertEquals("mode", e.setting());
    assertTrue(e.getMessage().contains("-Dkiln.mode") && e.getMessage().contains("fine-tune"),
        e.getMessage());
    MojoFields.set(m, "mode", "full");
    MojoFields.set(m, "estimateFolds", 1);
    e = assertThrows(InvalidSettingException.class, m::configuration);
    assertTrue(e.getMessage().startsWith("invalid estimateFolds (<estimateFolds>,"
        + " -Dkiln.estimateFolds): must be between 3 and 20"), e.getMessage());
  }

  /** @return a Kiln model file (a real graph with Kiln's metadata) in the project folder */
  Path kilnModel(String name) throws Exception {
    byte[] graph = java.nio.file.Files.readAllBytes(dev.kiln.runtime.Fixtures.root().resolve(
        "onnx/torch/random_structure/resnet_basic_1111_w0.25_random.onnx"));
    Path file = base.resolve(name);
    java.nio.file.Files.write(file, dev.kiln.maven.export.OnnxExporter.withMetadata(graph,
        new dev.kiln.runtime.ModelMetadata(dev.kiln.runtime.ModelMetadata.FORMAT_VERSION,
            List.of("ants", "bees"), dev.kiln.runtime.image.Preprocessing.raw(224,
                dev.kiln.runtime.image.Preprocessing.Resize.CENTER_CROP),
            dev.kiln.runtime.ModelMetadata.Output.PROBABILITIES,
            Map.of("trainer", "spark-mllib")).toProperties()));
    return file;
  }

  @Test
  void everyEvaluateParameterReachesTheRequest() throws Exception {
    kilnModel("spark.onnx");
    EvaluateMojo m = new EvaluateMojo();
    MojoFields.defaults(m, base);
    MojoFields.set(m, "className", "com.acme.Pets");
    MojoFields.set(m, "testImages", new File(base.toFile(), "test"));
    assertEquals(base.resolve("target/classes/com/acme/Pets.onnx"), m.request().model());
    MojoFields.eachParameterReaches(m, Map.of(
        "className", "com.acme.Insects",
        "testImages", new File(base.toFile(), "test2"),
        "includes", List.of("**/*.png"),
        "excludes", List.of("x"),
        "workDir", new File(base.toFile(), "work"),
        "minTestAccuracy", 0.5,
        "model", "spark.onnx",
        "device", "CPU",
        "classesDir", new File(base.toFile(), "classes")), Map.of(
        "skip", "checked by the Mojo", "project", "not used by evaluate", "session", "log prefix",
        "images", "evaluate reads testImages, not the training photos", "followLinks", "test folders: links followed, each real folder once",
        "validationSplit", "no split in evaluate", "seed", "nothing random in evaluate"),
        m::request);
  }

  @Test
  void everyClassifyParameterReachesTheRequest() throws Exception {
    ClassifyMojo m = new ClassifyMojo();
    MojoFields.defaults(m, base);
    MojoFields.set(m, "className", "com.acme.Pets");
    MojoFields.set(m, "inputs", List.of("a.jpg"));
    assertEquals(List.of(base.resolve("a.jpg")), m.request().inputs());
    kilnModel("spark.onnx");
    MojoFields.eachParameterReaches(m, Map.of(
        "model", "spark.onnx",
        "className", "com.acme.Insects",
        "inputs", List.of("b.jpg"),
        "top", 1,
        "device", "CPU",
        "classesDir", new File(base.toFile(), "classes")), Map.of(
        "skip", "checked by the Mojo", "project", "gives the folder inputs resolve against",
        "session", "not used by classify",
        "images", "classify takes inputs, not the training photos", "followLinks", "inputs",
        "includes", "folders given as inputs take every image",
        "excludes", "folders given as inputs take every image",
        "workDir", "classify writes nothing", "validationSplit", "no split in classify",
        "seed", "nothing random in classify"), m::request);
  }

  @Test
  void generateMapsItsParameters() throws Exception {
    for (String label : List.of("cats", "dogs", "birds")) {
      java.nio.file.Files.createDirectories(base.resolve("photos").resolve(label));
      for (String photo : List.of("a.jpg", "b.jpg", "draft-c.jpg")) {
        java.nio.file.Files.write(base.resolve("photos").resolve(label).resolve(photo),
            new byte[] {1});
      }
    }
    java.nio.file.Files.createDirectories(base.resolve("work"));
    java.nio.file.Files.writeString(base.resolve("work/summary.txt"), "Estimated accuracy 91%.");
    GenerateMojo m = new GenerateMojo();
    MojoFields.defaults(m, base);
    MojoFields.set(m, "className", "com.acme.Pets");
    MojoFields.set(m, "images", new File(base.toFile(), "photos"));
    MojoFields.set(m, "excludes", List.of("**/draft-*"));
    MojoFields.set(m, "workDir", new File(base.toFile(), "work"));
    MojoFields.set(m, "generatedSources", new File(base.toFile(), "gen"));
    m.execute();
    String source = java.nio.file.Files.readString(base.resolve("gen/com/acme/Pets.java"));
    assertTrue(source.contains("CATS") && source.contains("DOGS") && source.contains("BIRDS"),
        "labels from images");
    assertTrue(source.contains("Estimated accuracy 91%."), "the summary from workDir");
    org.apache.maven.project.MavenProject project =
        (org.apache.maven.project.MavenProject) MojoFields.field(GenerateMojo.class, "project")
            .get(m);
    assertTrue(project.getCompileSourceRoots().contains(base.resolve("gen").toString()));
    MojoFields.set(m, "includes", List.of("**/*.png"));
    org.apache.maven.plugin.MojoFailureException none = assertThrows(
        org.apache.maven.plugin.MojoFailureException.class, m::execute);
    assertTrue(none.getMessage().contains("**/*.png"), "includes reach the scan: "
        + none.getMessage());
  }

  @Test
  void anExistingModelGivesTheLabelsAndIsBundledWithoutTraining() throws Exception {
    kilnModel("models/spark.onnx".replace("models/", ""));
    GenerateMojo g = new GenerateMojo();
    MojoFields.defaults(g, base);
    MojoFields.set(g, "className", "com.acme.Insects");
    MojoFields.set(g, "model", "spark.onnx");
    MojoFields.set(g, "generatedSources", new File(base.toFile(), "gen"));
    g.execute(); // no photos at all
    String source = java.nio.file.Files.readString(base.resolve("gen/com/acme/Insects.java"));
    assertTrue(source.contains("ANTS") && source.contains("BEES"), source);
    TrainMojo t = train();
    MojoFields.set(t, "className", "com.acme.Insects");
    MojoFields.set(t, "model", "spark.onnx");
    t.execute();
    assertTrue(java.util.Arrays.equals(java.nio.file.Files.readAllBytes(base.resolve("spark.onnx")),
        java.nio.file.Files.readAllBytes(base.resolve("target/classes/com/acme/Insects.onnx"))));
    MojoFields.set(t, "model", "missing.onnx");
    org.apache.maven.plugin.MojoFailureException e = assertThrows(
        org.apache.maven.plugin.MojoFailureException.class, t::execute);
    assertTrue(e.getMessage().contains("<model>"), e.getMessage());
  }
}
