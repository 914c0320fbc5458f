package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The goals are {@code threadSafe}: under {@code mvn -T 2} two modules train at once in one JVM.
 * Each training's randomness (initialisation, dropout, shuffling) is its own, so two trainings on
 * two threads give the metrics each gives alone.
 */
class ConcurrentTrainingTest {

  @TempDir
  Path dir;

  @Test
  void twoTrainingsOnTwoThreadsGiveWhatEachGivesAlone() throws Exception {
    Path images = dir.resolve("images");
    int n = 0;
    for (String label : List.of("ants", "bees")) {
      Files.createDirectories(images.resolve(label));
      try (var files = Files.list(Fixtures.hymenoptera().resolve("train").resolve(label))) {
        for (Path p : files.sorted().limit(12).toList()) {
          Files.copy(p, images.resolve(label).resolve(p.getFileName()));
          n++;
        }
      }
    }
    Dataset data = DatasetScanner.scan(new DatasetScanner.Request(images, List.of(), List.of(),
        0.3, 1));
    Backbone backbone = dev.kiln.maven.TestData.mobilenet(128);
    // Adam heads with dropout and different seeds: every source of randomness in play
    TrainingRequest a = TrainingRequest.builder(data, backbone).settings(s -> s.headSolver(HeadSolver.ADAM).epochs(6).batchSize(4).device(Device.CPU).seed(1)).build();
    TrainingRequest b = TrainingRequest.builder(data, backbone).settings(s -> s.headSolver(HeadSolver.ADAM).epochs(6).batchSize(4).device(Device.CPU).seed(2).dropout(0.5)).build();
    TrainingResult aloneA = Trainer.train(a, ProgressListener.NONE);
    TrainingResult aloneB = Trainer.train(b, ProgressListener.NONE);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 2; round++) {
        Future<TrainingResult> fa = threads.submit(() -> Trainer.train(a, ProgressListener.NONE));
        Future<TrainingResult> fb = threads.submit(() -> Trainer.train(b, ProgressListener.NONE));
        assertSame(aloneA, fa.get());
        assertSame(aloneB, fb.get());
      }
    } finally {
      threads.shutdownNow();
    }
    assertEquals(24, n);
  }

  private static void assertSame(TrainingResult alone, TrainingResult together) {
    assertEquals(alone.history().size(), together.history().size());
    for (int i = 0; i < alone.history().size(); i++) {
      assertEquals(alone.history().get(i).trainLoss(), together.history().get(i).trainLoss(), 0,
          "epoch " + (i + 1));
      assertEquals(alone.history().get(i).valLoss(), together.history().get(i).valLoss(), 0);
    }
    assertEquals(alone.estimate(), together.estimate());
  }
}
