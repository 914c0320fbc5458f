package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Fixtures;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Feature-extractor training on the real hymenoptera photos with the real MobileNet weights. */
class HymenopteraTrainingTest {

  static Dataset data;
  static Backbone backbone;
  static TrainingResult first;
  static List<String> phases = new ArrayList<>();
  static List<EpochStats> epochs = new ArrayList<>();

  static TrainingRequest request() {
    return TrainingRequest.builder(data, backbone).build();
  }

  @BeforeAll
  static void train() throws Exception {
    data = dev.kiln.maven.TestData.hymenoptera();
    backbone = dev.kiln.maven.TestData.mobilenet(224);
    first = Trainer.train(request(), new ProgressListener() {
      @Override
      public void phase(String name, String detail) {
        phases.add(name);
      }

      @Override
      public void epoch(EpochStats stats) {
        epochs.add(stats);
        System.out.println(stats.line());
      }
    });
    System.out.printf("hymenoptera: val accuracy %.4f, parity %.2e, best epoch %d, timings %s%n",
        first.validation().accuracy(), first.parity().maxAbsDiff(), first.bestEpoch(),
        first.timings());
  }

  @Test
  void reachesTheAccuracyTargetWithParity() {
    assertTrue(first.validation().accuracy() >= 0.88,
        "validation accuracy " + first.validation().accuracy());
    assertTrue(first.parity().passed(ParityChecker.TOLERANCE),
        "parity " + first.parity().maxAbsDiff());
    assertEquals(73, first.validation().images());
  }

  @Test
  void placeholderGifIsTrainedOnOrSkippedVisibly() {
    // imageNotFound.gif decodes (it is a valid GIF), so nothing is skipped in this dataset
    assertTrue(first.skipped().isEmpty(), first.skipped().toString());
  }

  @Test
  void reportsPhasesAndEpochs() {
    // the default mode (auto) says why, fits the default head by L-BFGS (no epochs) for each
    // candidate it has time for (the first reports its features and head, the others a line
    // each; with this val/ folder no learning curve: the candidates compare by plain k-fold and
    // val/ measures the winner), ranks them; the estimate, then the photos whose label it doubts
    // and the unusual ones, come last
    List<String> distinct = new ArrayList<>();
    for (String p : phases) {
      if (distinct.isEmpty() || !distinct.get(distinct.size() - 1).equals(p)) {
        distinct.add(p);
      }
    }
    assertEquals(List.of("dataset", "mode", "features", "training", "head", "auto",
        "leaderboard", "export", "estimate", "suspects", "unusual"), distinct);
    assertTrue(epochs.isEmpty());
    assertTrue(first.history().isEmpty());
    assertEquals("lbfgs", first.head().solver());
  }

  @Test
  void exportedModelCarriesTheContract() throws Exception {
    try (ImageClassifier c = ImageClassifier.load(first.onnx(), "trained",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      assertEquals(List.of("ants", "bees"), c.labels());
      assertTrue(c.metadata().training().get("metrics").contains("cv_accuracy"));
      assertTrue(c.metadata().training().get("estimate").contains("\"photos\":73"),
          c.metadata().training().get("estimate"));
      assertEquals("feature-extractor", c.metadata().training().get("mode"));
      Path bee = Fixtures.hymenoptera().resolve("val/bees/1032546534_06907fe3b3.jpg");
      assertEquals("bees", c.classify(bee).best().label());
    }
  }

  @Test
  void sameSeedSameMetrics() throws Exception {
    TrainingResult again = Trainer.train(request(), ProgressListener.NONE);
    assertEquals(first.validation().accuracy(), again.validation().accuracy());
    assertEquals(first.estimate(), again.estimate());
    org.junit.jupiter.api.Assertions.assertEquals(sha256(first.onnx()), sha256(again.onnx()),
        "the same model bytes for the same inputs and seed");
    assertEquals(first.head().lambda(), again.head().lambda());
    assertEquals(first.bestEpoch(), again.bestEpoch());
    for (int i = 0; i < first.history().size(); i++) {
      assertEquals(first.history().get(i).valLoss(), again.history().get(i).valLoss(), 1e-9);
    }
  }

  static String sha256(byte[] bytes) {
    java.security.MessageDigest d = dev.kiln.maven.fingerprint.Hashes.sha256();
    d.update(bytes);
    return dev.kiln.maven.fingerprint.Hashes.hex(d);
  }
}
