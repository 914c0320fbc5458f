package dev.kiln.maven.goal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.cam.ActivationMaps;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23, item 4: activation maps are drawn from the shipped model where its head is one linear
 * layer on average-pooled maps (also the int8 model, fine-tune's trained maps, several depths with
 * test-time flip); for a hidden layer the report says why there are none.
 */
class WhereTheModelLooksTest {

  @TempDir
  static Path project;

  @BeforeAll
  static void photos() throws Exception {
    for (String label : List.of("ants", "bees")) {
      Files.createDirectories(project.resolve("images").resolve(label));
      try (var files = Files.list(Fixtures.hymenoptera().resolve("train").resolve(label))) {
        for (Path p : files.filter(f -> f.toString().endsWith(".jpg")).sorted().limit(10)
            .toList()) {
          Files.copy(p, project.resolve("images").resolve(label).resolve(p.getFileName()));
        }
      }
    }
  }

  static ActivationMaps maps(String run, UnaryOperator<TrainConfiguration.Builder> settings)
      throws Exception {
    TrainConfiguration c = settings.apply(TrainConfiguration.builder().baseDir(project)
        .images(project.resolve("images")).className("com.acme.Insects").inputSize(128)
        .device("CPU").backbone(Fixtures.mobilenetH5().toString())
        .cacheDir(project.resolve("cache")).workDir(project.resolve(run))
        .classesDir(project.resolve(run + "-classes")).mode("feature-extractor")).build();
    TrainInputs inputs = TrainInputs.resolve(c, ProgressListener.NONE);
    TrainingResult result = ModelTraining.train(c, inputs, ProgressListener.NONE);
    ActivationMaps maps = WhereTheModelLooks.maps(result, inputs.dataset(),
        ProgressListener.NONE);
    if (!maps.overlays().isEmpty()) {
      assertEquals(result.validation().worst().size(), result.validation().worst().stream()
          .filter(m -> maps.overlays().containsKey(m.image())).count(), "every worst photo");
      assertTrue(maps.overlays().values().stream().allMatch(o -> List.of("ants", "bees")
          .contains(o.label()) && o.image().startsWith("data:image/jpeg;base64,")));
    }
    return maps;
  }

  @Test
  void linearHeadsGetMapsOthersSayWhyNot() throws Exception {
    ActivationMaps plain = maps("plain", b -> b);
    assertTrue(plain.note().startsWith("Where the model looks") && plain.note()
        .contains("4x4 feature maps"), plain.note());
    ActivationMaps int8 = maps("int8", b -> b.quantize("int8"));
    assertTrue(!int8.overlays().isEmpty(), int8.note());
    ActivationMaps fineTune = maps("fine-tune", b -> b.mode("fine-tune").epochs(1));
    assertTrue(!fineTune.overlays().isEmpty(), fineTune.note());
    ActivationMaps flip = maps("flip", b -> b.testTimeFlip(true).featureDepths(2));
    assertTrue(!flip.overlays().isEmpty() && flip.note().contains("2 blocks") && flip.note()
        .contains("mirror image's map, mirrored back"), flip.note());
    ActivationMaps hidden = maps("hidden", b -> b.hiddenUnits(16).epochs(1));
    assertTrue(hidden.overlays().isEmpty());
    assertTrue(hidden.note().startsWith("Activation maps not drawn: the head has a hidden layer"
        + " (hiddenUnits)"), hidden.note());
  }
}
