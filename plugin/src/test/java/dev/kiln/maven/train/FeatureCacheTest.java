package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The frozen-feature cache across training runs, on real photos and the real backbone. */
class FeatureCacheTest {

  @TempDir
  Path dir;

  TrainingResult train(Path images, Path cache, Backbone backbone) throws Exception {
    var data = DatasetScanner.scan(new DatasetScanner.Request(images, List.of(), List.of(), 0.3, 1));
    return Trainer.train(TrainingRequest.builder(data, backbone).settings(s -> s.epochs(3).batchSize(8).dropout(0).weightDecay(0).patience(3).device(Device.CPU).cacheDir(cache).headSolver(HeadSolver.ADAM)).build(),
        ProgressListener.NONE);
  }

  @Test
  void secondRunSkipsTheFrozenForwardAndAChangedImageMisses() throws Exception {
    Path images = dir.resolve("images");
    for (String label : List.of("ants", "bees")) {
      Path from = Fixtures.hymenoptera().resolve("train").resolve(label);
      Files.createDirectories(images.resolve(label));
      try (var files = Files.list(from)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(5).toList()) {
          Files.copy(f, images.resolve(label).resolve(f.getFileName()));
        }
      }
    }
    Backbone backbone = dev.kiln.maven.TestData.mobilenet(128);
    Path cache = dir.resolve("cache");
    TrainingResult first = train(images, cache, backbone);
    assertEquals(10, first.timings().frozenImages());
    assertEquals(0, first.timings().cachedImages());

    TrainingResult second = train(images, cache, backbone);
    assertEquals(0, second.timings().frozenImages(), "frozen forward skipped entirely");
    assertEquals(10, second.timings().cachedImages());
    assertEquals(first.validation().accuracy(), second.validation().accuracy());
    assertEquals(first.history().get(2).valLoss(), second.history().get(2).valLoss(), 0,
        "cached features are the computed ones, bit for bit");

    // change one photo's content (same name): only it is recomputed
    Path victim;
    try (var files = Files.list(images.resolve("ants"))) {
      victim = files.sorted().findFirst().orElseThrow();
    }
    Files.copy(Fixtures.hymenoptera().resolve("val/ants/1053149811_f62a3410d3.jpg"), victim,
        StandardCopyOption.REPLACE_EXISTING);
    TrainingResult third = train(images, cache, backbone);
    assertEquals(1, third.timings().frozenImages());
    assertEquals(9, third.timings().cachedImages());

    // max pooling gives other rows: its own cache entries, and a parity-checked export
    TrainingResult max = train(images, cache, backbone.withPooling(
        org.deeplearning4j.nn.conf.layers.PoolingType.MAX));
    assertEquals(10, max.timings().frozenImages(), "average-pooled rows are not reused");
    org.junit.jupiter.api.Assertions.assertTrue(max.parity().passed(
        dev.kiln.maven.export.ParityChecker.TOLERANCE), "parity " + max.parity());
    assertEquals("max", max.metadata().training().get("pooling"));
  }
}
