package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Modes auto, full and scratch end to end on the real hymenoptera photos with the real MobileNet
 * weights, at input size 128 and few epochs to keep the build short (training from the pixels
 * runs in DL4J on the CPU).
 */
class ModesTest {

  static Dataset data;
  static Backbone backbone;

  @BeforeAll
  static void load() throws Exception {
    data = dev.kiln.maven.TestData.hymenoptera();
    backbone = dev.kiln.maven.TestData.mobilenet(128);
  }

  static TrainingRequest request(Mode mode, int epochs, double learningRate) {
    return TrainingRequest.builder(data, backbone).settings(s -> s.mode(mode).epochs(epochs).learningRate(learningRate).patience(3)).build();
  }

  static final ProgressListener PRINT = new ProgressListener() {
    @Override
    public void phase(String name, String detail) {
      System.out.println("[" + name + "] " + detail);
    }

    @Override
    public void epoch(EpochStats stats) {
      System.out.println(stats.line());
    }
  };

  static Map<String, String> training(TrainingResult r) throws Exception {
    try (ImageClassifier c = ImageClassifier.load(r.onnx(), "model",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      return c.metadata().training();
    }
  }

  /**
   * @return the model's accuracy on the photos {@code on}'s evaluation rests on (its held-out
   *     photos), so that two models are compared on the same photos
   */
  static double accuracyOn(TrainingResult model, TrainingResult on, Dataset data)
      throws Exception {
    Map<String, dev.kiln.maven.dataset.LabelledImage> byPath = new java.util.HashMap<>();
    data.validation().forEach(i -> byPath.put(i.relativePath(), i));
    List<dev.kiln.maven.dataset.LabelledImage> photos = on.validation().photos().stream()
        .map(byPath::get).toList();
    try (ImageClassifier c = ImageClassifier.load(model.onnx(), "model",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      List<dev.kiln.runtime.Classification> out = c.classifyFiles(photos.stream()
          .map(dev.kiln.maven.dataset.LabelledImage::file).toList());
      int right = 0;
      for (int i = 0; i < photos.size(); i++) {
        right += out.get(i).best().label().equals(data.labels().get(photos.get(i).label()))
            ? 1 : 0;
      }
      return right / (double) photos.size();
    }
  }

  @Test
  void autoPicksFeatureExtractorForSmallDataAndFullFineTuneKeepsItsAccuracy() throws Exception {
    // one candidate is enough here (AutoSearchTest measures several)
    TrainingResult auto = Trainer.train(TrainingRequest.builder(data, backbone).settings(s -> s
        .mode(Mode.AUTO).epochs(8).patience(3).maxTrainingTime("1s")).build(), PRINT);
    Map<String, String> meta = training(auto);
    assertEquals("feature-extractor", meta.get("mode"));
    assertTrue(meta.get("mode_reason").contains("measured"), meta.get("mode_reason"));
    assertTrue(auto.parity().passed(ParityChecker.TOLERANCE), "parity " + auto.parity());

    TrainingResult full = Trainer.train(request(Mode.FULL, 8, 1e-3), PRINT);
    System.out.printf("full: val accuracy %.4f (auto/feature-extractor %.4f), parity %.2e, best"
            + " epoch %d of %d, timings %s%n", full.validation().accuracy(),
        auto.validation().accuracy(), full.parity().maxAbsDiff(), full.bestEpoch(),
        full.history().size(), full.timings());
    assertEquals("full", training(full).get("mode"));
    assertTrue(full.parity().passed(ParityChecker.TOLERANCE), "parity " + full.parity());
    assertTrue(full.history().size() > auto.history().size(), "full-network epochs follow");
    // full's evaluation rests on the estimate half of val/ (the other half chose its epoch)
    double autoThere = accuracyOn(auto, full, data);
    assertTrue(full.validation().accuracy() >= autoThere - 0.03,
        full.validation().accuracy() + " vs " + autoThere + " on the same photos");
  }

  @Test
  void scratchTrainsTheRandomlyInitialisedNetworkReproduciblyAndExportsItWithParity() throws Exception {
    TrainingResult scratch = Trainer.train(request(Mode.SCRATCH, 2, 1e-3), PRINT);
    System.out.printf("scratch: val accuracy %.4f, parity %.2e, timings %s%n",
        scratch.validation().accuracy(), scratch.parity().maxAbsDiff(), scratch.timings());
    assertEquals("scratch", training(scratch).get("mode"));
    assertTrue(scratch.parity().passed(ParityChecker.TOLERANCE), "parity " + scratch.parity());
    assertEquals(2, scratch.history().size());
    assertEquals(0, scratch.timings().frozenImages(), "no pretrained frozen part");
    assertNotEquals(scratch.history().get(0).trainLoss(), scratch.history().get(1).trainLoss());
    // reproducible: same data, configuration and seed give the same metrics
    TrainingResult again = Trainer.train(request(Mode.SCRATCH, 2, 1e-3), ProgressListener.NONE);
    for (int i = 0; i < 2; i++) {
      assertEquals(scratch.history().get(i).trainLoss(), again.history().get(i).trainLoss(), 1e-6);
      assertEquals(scratch.history().get(i).valLoss(), again.history().get(i).valLoss(), 1e-6);
    }
    assertEquals(scratch.validation().accuracy(), again.validation().accuracy());
  }

  @Test
  void aHiddenLayerHeadTrainsAndExportsWithParityAlsoWhenFineTuned() throws Exception {
    Backbone original = backbone;
    backbone = backbone.withHiddenUnits(32);
    try {
      TrainingResult extractor = Trainer.train(request(Mode.FEATURE_EXTRACTOR, 4, 1e-3), PRINT);
      assertTrue(extractor.parity().passed(ParityChecker.TOLERANCE), "parity " + extractor.parity());
      assertEquals("32", training(extractor).get("hidden_units"));
      TrainingResult tuned = Trainer.train(request(Mode.FINE_TUNE, 3, 1e-3), PRINT);
      assertTrue(tuned.parity().passed(ParityChecker.TOLERANCE), "parity " + tuned.parity());
      // the fine-tuning stage follows the trained hidden layer + head (3 head epochs first) and
      // what ships is the epoch with the lowest held-out loss over both stages, the head alone
      // included: a fine-tuning epoch that does worse (its range-tested rate and fresh
      // augmentation make single epochs vary from run to run) never replaces a better head
      List<EpochStats> h = tuned.history();
      assertEquals(6, h.size(), h.toString());
      double lowest = h.stream().mapToDouble(EpochStats::valLoss).min().orElseThrow();
      assertEquals(lowest, h.get(tuned.bestEpoch() - 1).valLoss(), 1e-12, "best epoch "
          + tuned.bestEpoch() + " of " + h);
      assertTrue(lowest <= h.subList(0, 3).stream().mapToDouble(EpochStats::valLoss).min()
          .orElseThrow(), h.toString());
    } finally {
      backbone = original;
    }
  }

  @Test
  void featureDepthsConcatenateBlocksAndExportWithParity() throws Exception {
    Backbone three = backbone.withFeatureDepths(3);
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, three)
        .settings(s -> s.mode(Mode.FEATURE_EXTRACTOR)).build(), PRINT);
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE), "parity " + r.parity());
    assertEquals("conv_pw_11_relu,conv_pw_12_relu,conv_pw_13_relu",
        training(r).get("feature_depths"));
    assertTrue(r.validation().accuracy() > 0.8, "still separates ants from bees: "
        + r.validation().accuracy());
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> TrainingRequest.builder(data, three)
            .settings(s -> s.mode(Mode.FINE_TUNE)).build());
    assertTrue(e.getMessage().contains("works with mode feature-extractor"), e.getMessage());
  }

  @Test
  void testTimeFlipIsInsideTheExportedGraphWithParity() throws Exception {
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, backbone)
        .settings(s -> s.testTimeFlip(true)).build(), PRINT);
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE), "parity " + r.parity());
    assertEquals("true", training(r).get("test_time_flip"));
    assertTrue(r.estimate().method().contains("test-time flip"), r.estimate().method());
    Preprocessing spec = Preprocessing.raw(128, Preprocessing.Resize.CENTER_CROP);
    java.awt.image.BufferedImage photo = dev.kiln.runtime.image.Preprocessor.load(
        Fixtures.hymenoptera().resolve("val/bees/1032546534_06907fe3b3.jpg"), spec);
    try (ImageClassifier c = ImageClassifier.load(r.onnx(), "flip",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      float[] a = c.classify(photo).scores();
      float[] b = c.classify(Mirror.of(photo)).scores();
      assertEquals(a[0], b[0], 1e-5f, "a photo and its mirror image get the same prediction");
      java.util.List<dev.kiln.runtime.Classification> batch = c.classifyImages(
          List.of(photo, Mirror.of(photo), photo));
      assertEquals(a[1], batch.get(2).scores()[1], 1e-5f, "batches pair each photo with its own"
          + " mirror");
    }
  }

  @Test
  void featureLayerCutsTheBackboneEarlierAndExportsWithParity() throws Exception {
    // the seeds' "block4_pool" example: the head on an intermediate layer
    TrainingResult cut = Trainer.train(TrainingRequest.builder(data, backbone)
        .settings(s -> s.featureLayer("conv_pw_11_relu").epochs(40)).build(), PRINT);
    System.out.printf("featureLayer conv_pw_11_relu: val accuracy %.4f, parity %.2e%n",
        cut.validation().accuracy(), cut.parity().maxAbsDiff());
    assertTrue(cut.parity().passed(ParityChecker.TOLERANCE), "parity " + cut.parity());
    assertEquals("conv_pw_11_relu", training(cut).get("feature_layer"));
    assertTrue(cut.validation().accuracy() > 0.6, "intermediate features still separate ants"
        + " from bees: " + cut.validation().accuracy());
  }
}
