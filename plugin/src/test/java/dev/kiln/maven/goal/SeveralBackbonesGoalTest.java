package dev.kiln.maven.goal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.config.Mode;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.export.OnnxSurgery;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.ImageClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code <backbone>a+b</backbone>} through the train goal's steps, on the real MobileNet v1
 * α0.25 and MobileNetV2 α0.5 fixture weights: every file fingerprinted, one model trained and
 * up to date on the next build, the Spark featurizer of the concatenated features, and the
 * settings that describe one backbone refused with what to do.
 */
class SeveralBackbonesGoalTest {

  @TempDir
  static Path project;

  static final Path V1 = Fixtures.mobilenetH5();
  static final Path V2 = Fixtures.root().resolve("backbones/mobilenet_v2_0.5_224_keras/"
      + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5");
  static final Path SQUEEZE = Fixtures.root().resolve("backbones/squeezenet_v1.1_keras/"
      + "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5");

  static TrainConfiguration.Builder config(String backbone) {
    return TrainConfiguration.builder().baseDir(project).images(project.resolve("images"))
        .className("com.acme.Insects").inputSize(128).validationSplit(0.3).device("CPU")
        .backbone(backbone).cacheDir(project.resolve("cache"));
  }

  @BeforeAll
  static void photos() throws Exception {
    dev.kiln.maven.TestData.copyHymenoptera(project.resolve("images"), 10);
  }

  @Test
  void everyBackboneFileIsFingerprinted() throws Exception {
    TrainInputs both = TrainInputs.resolve(config(V1 + "+" + V2).build(), ProgressListener.NONE);
    assertEquals(List.of(V1, V2), both.backboneFiles());
    TrainInputs one = TrainInputs.resolve(config(V1.toString()).build(), ProgressListener.NONE);
    TrainInputs other = TrainInputs.resolve(config(V1 + "+" + SQUEEZE).build(),
        ProgressListener.NONE);
    assertNotEquals(both.fingerprint(), one.fingerprint());
    assertNotEquals(both.fingerprint(), other.fingerprint());
  }

  @Test
  void trainsOneModelThenIsUpToDate() throws Exception {
    TrainConfiguration c = config(V1 + " + " + V2).mode(Mode.AUTO).workDir(project.resolve("goal"))
        .classesDir(project.resolve("goal-classes")).build();
    TrainGoal.Outcome first = TrainGoal.run(c, ProgressListener.NONE);
    TrainGoal.Outcome second = TrainGoal.run(c, ProgressListener.NONE);
    assertFalse(first.upToDate());
    assertTrue(second.upToDate());
    try (ImageClassifier m = ImageClassifier.load(first.model(), ClassifierOptions.defaults()
        .withDevice(Device.CPU))) {
      String backbone = m.metadata().training().get("backbone");
      assertTrue(backbone.startsWith("multi:mobilenet_v1_0.25+mobilenet_v2_0.5 ("
          + V1.getFileName() + "+" + V2.getFileName()), backbone);
      assertEquals("auto: several backbones: feature-extractor (their trunks stay frozen side"
          + " by side)", m.metadata().training().get("mode_reason"));
    }
  }

  @Test
  void theFeaturizerGivesTheConcatenatedFeatures() throws Exception {
    Path f = FeaturizerGoal.run(config(V1 + "+" + V2).workDir(project.resolve("feat")).build(),
        ProgressListener.NONE);
    var m = OnnxSurgery.parse(Files.readAllBytes(f));
    assertEquals(256 + 1280, OnnxSurgery.shapeOf(m, "features", 128)[1]);
  }

  @Test
  void settingsForOneBackboneAreRefusedWithWhatToDo() throws Exception {
    TrainInputs inputs = TrainInputs.resolve(config(V1 + "+" + V2).build(),
        ProgressListener.NONE);
    UserProblemException fine = assertThrows(UserProblemException.class, () ->
        ModelTraining.train(config(V1 + "+" + V2).mode(Mode.FINE_TUNE).build(), inputs,
            ProgressListener.NONE));
    assertTrue(fine.getMessage().contains("mode fine-tune with several backbones")
        && fine.getMessage().contains("feature-extractor or auto"), fine.getMessage());
    UserProblemException layer = assertThrows(UserProblemException.class, () ->
        ModelTraining.train(config(V1 + "+" + V2).featureLayer("conv_pw_12_relu").build(),
            inputs, ProgressListener.NONE));
    assertTrue(layer.getMessage().startsWith("<featureLayer> (kiln.featureLayer) with several"
        + " backbones"), layer.getMessage());
    UserProblemException sha = assertThrows(UserProblemException.class, () ->
        TrainInputs.resolve(config(V1 + "+" + V2).backboneSha256("a".repeat(64)).build(),
            ProgressListener.NONE));
    assertTrue(sha.getMessage().contains("names several backbones"), sha.getMessage());
  }
}
