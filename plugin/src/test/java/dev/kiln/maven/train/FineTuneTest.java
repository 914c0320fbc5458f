package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.Test;

/** Fine-tune mode on the real hymenoptera photos with the real MobileNet weights. */
class FineTuneTest {

  static TrainingRequest request(Dataset data, Backbone backbone, Mode mode, Path cache) {
    return TrainingRequest.builder(data, backbone).settings(s -> s.mode(mode).cacheDir(cache)).build();
  }

  @org.junit.jupiter.api.io.TempDir
  Path cache;

  @Test
  void fineTuneReachesFeatureExtractorAccuracyWithParity() throws Exception {
    Dataset data = dev.kiln.maven.TestData.hymenoptera();
    Backbone backbone = dev.kiln.maven.TestData.mobilenet(224);
    TrainingResult extractor = Trainer.train(request(data, backbone, Mode.FEATURE_EXTRACTOR, null),
        ProgressListener.NONE);
    // with a feature cache: the maps are read back from it per batch (CachedRowsInputs)
    TrainingResult tuned = Trainer.train(request(data, backbone, Mode.FINE_TUNE, cache),
        ModesTest.PRINT);
    System.out.printf("fine-tune: val accuracy %.4f (feature extractor %.4f), parity %.2e,"
            + " best epoch %d of %d, timings %s%n", tuned.validation().accuracy(),
        extractor.validation().accuracy(), tuned.parity().maxAbsDiff(), tuned.bestEpoch(),
        tuned.history().size(), tuned.timings());
    assertTrue(tuned.parity().passed(ParityChecker.TOLERANCE), "parity " + tuned.parity());
    // the fine-tuned model's evaluation rests on the estimate half of val/ (the other half chose
    // its epoch): the feature extractor is measured on the same photos
    // fine-tuning is not bit-reproducible run to run (ORT/oneDNN threads), and the epoch it ships
    // is chosen on the other half by loss, so on these ~36 photos it may land one photo either side
    // of the extractor (CI: 32 vs 33 of 36 once; here equal): it must not lose more than that
    double extractorThere = ModesTest.accuracyOn(extractor, tuned, data);
    double onePhoto = 1.0 / tuned.validation().photos().size();
    assertTrue(tuned.validation().accuracy() >= extractorThere - onePhoto - 1e-9,
        tuned.validation().accuracy() + " vs " + extractorThere + " on the same photos");
    assertTrue(tuned.history().size() > extractor.history().size(), "fine-tuning epochs follow");
    try (ImageClassifier c = ImageClassifier.load(tuned.onnx(), "tuned",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      assertEquals("fine-tune", c.metadata().training().get("mode"));
    }
  }
}
