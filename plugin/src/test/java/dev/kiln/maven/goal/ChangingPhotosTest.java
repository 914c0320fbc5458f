package dev.kiln.maven.goal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.ChangedPhotosException;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.ImageClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Photos that change while a build reads them, and photos that cannot be read, through the train
 * goal's steps. The race is reproduced deterministically: the test writes between the step that
 * hashes the photos (the fingerprint) and the step that decodes them (training).
 */
class ChangingPhotosTest {

  @TempDir
  Path project;

  TrainConfiguration.Builder config() {
    return TrainConfiguration.builder().baseDir(project).images(project.resolve("images"))
        .className("com.acme.Insects").inputSize(128).validationSplit(0.3).device("CPU")
        .backbone(Fixtures.mobilenetH5().toString()).cacheDir(project.resolve("cache"))
        .workDir(project.resolve("target/kiln")).classesDir(project.resolve("target/classes"));
  }

  void photos(int perLabel) throws Exception {
    dev.kiln.maven.TestData.copyHymenoptera(project.resolve("images"), perLabel);
  }

  static Path first(Path folder) throws Exception {
    try (var files = Files.list(folder)) {
      return files.sorted().findFirst().orElseThrow();
    }
  }

  @Test
  void aPhotoChangedDuringTheBuildFailsItKeepsTheGoodModelAndPoisonsNothing() throws Exception {
    photos(5);
    TrainConfiguration c = config().build();
    TrainOutputs out = new TrainOutputs(c);
    assertFalse(TrainGoal.run(c, ProgressListener.NONE).upToDate());
    byte[] good = Files.readAllBytes(out.kept);
    List<String> recorded = Files.readAllLines(out.fingerprintFile);

    // mvn package -Dkiln.force: the photos are hashed, then a sync tool overwrites a bee photo
    // with an ant photo before training decodes it
    Path bee = first(project.resolve("images/bees"));
    byte[] original = Files.readAllBytes(bee);
    TrainConfiguration forced = config().force(true).build();
    TrainInputs inputs = TrainInputs.resolve(forced, ProgressListener.NONE);
    Files.write(bee, Files.readAllBytes(first(Fixtures.hymenoptera().resolve("val/ants"))));
    ChangedPhotosException e = assertThrows(ChangedPhotosException.class,
        () -> TrainGoal.train(forced, inputs, ProgressListener.NONE));
    assertEquals(List.of(bee.toAbsolutePath().normalize()), e.files());
    assertTrue(e.getMessage().contains(bee.toAbsolutePath().normalize() + "")
        && e.getMessage().contains("changed while the build was reading it")
        && e.getMessage().contains("Run the build again"), e.getMessage());
    assertArrayEquals(good, Files.readAllBytes(out.kept), "the previous good model is kept");
    assertEquals(recorded, Files.readAllLines(out.fingerprintFile),
        "no fingerprint claims a model of the photos hashed");

    // the original put back (byte-identical): the good model is up to date, and a forced build
    // rebuilds it from what is on disk: the feature cache holds nothing poisoned
    Files.write(bee, original);
    assertTrue(TrainGoal.run(c, ProgressListener.NONE).upToDate());
    assertFalse(TrainGoal.run(forced, ProgressListener.NONE).upToDate());
    assertArrayEquals(good, Files.readAllBytes(out.kept), "the same model, bit for bit");
  }

  @Test
  void forceRebuildsFromWhatIsOnDiskEvenWhenAPhotoKeptItsSizeAndTime() throws Exception {
    photos(5);
    java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
        java.time.Instant.now().minusSeconds(3600));
    try (var files = Files.walk(project.resolve("images"))) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        Files.setLastModifiedTime(p, old); // hashes old enough to be remembered
      }
    }
    TrainConfiguration c = config().build();
    assertFalse(TrainGoal.run(c, ProgressListener.NONE).upToDate());
    // a tool rewrites a photo and restores its time: size and time say "unchanged"
    Path bee = first(project.resolve("images/bees"));
    byte[] other = Files.readAllBytes(bee);
    other[other.length / 2] ^= 0x55;
    Files.write(bee, other);
    Files.setLastModifiedTime(bee, old);
    assertTrue(TrainGoal.run(c, ProgressListener.NONE).upToDate(),
        "size and time are what an ordinary build trusts (git's rule)");
    TrainGoal.Outcome forced = TrainGoal.run(config().force(true).build(),
        ProgressListener.NONE);
    assertFalse(forced.upToDate(), "-Dkiln.force reads every photo again and trains");
    assertTrue(TrainGoal.run(c, ProgressListener.NONE).upToDate(),
        "the fingerprint now records the photo as it is");
  }

  @Test
  void anUnreadablePhotoIsSkippedAndReportedLikeACorruptOne() throws Exception {
    // reading /proc/self/mem from its start fails with an I/O error, even for root (for whom a
    // chmod 000 photo stays readable)
    Path mem = Path.of("/proc/self/mem");
    assumeTrue(Files.isRegularFile(mem), "Linux only");
    photos(5);
    Path unreadable = project.resolve("images/bees/zz-unreadable.jpg");
    Files.createSymbolicLink(unreadable, mem);
    Files.writeString(project.resolve("images/bees/zz-corrupt.jpg"), "not a photo");
    List<String> warnings = new ArrayList<>();
    ProgressListener listener = new ProgressListener() {
      @Override
      public void phase(String name, String detail) {}

      @Override
      public void epoch(dev.kiln.maven.train.EpochStats stats) {}

      @Override
      public void warn(String message) {
        warnings.add(message);
      }
    };
    TrainConfiguration c = config().build();
    TrainGoal.Outcome trained = TrainGoal.run(c, listener);
    assertFalse(trained.upToDate());
    String all = String.join("\n", warnings);
    assertTrue(all.contains("skipped bees/zz-unreadable.jpg: cannot read the file")
        && all.contains("skipped bees/zz-corrupt.jpg: "), all);
    String report = Files.readString(new TrainOutputs(c).report);
    assertTrue(report.contains("zz-unreadable.jpg") && report.contains("zz-corrupt.jpg"),
        "both in the report's skipped list");
    try (ImageClassifier model = ImageClassifier.load(new TrainOutputs(c).kept)) {
      String images = model.metadata().training().get("images");
      String[] n = images.split("[^0-9]+");
      assertEquals(10, Integer.parseInt(n[0]) + Integer.parseInt(n[1]),
          "skipped photos are neither training nor validation photos: " + images);
      assertTrue(images.endsWith(", 2 skipped"), images);
    }
    assertTrue(TrainGoal.run(c, listener).upToDate(), "the unreadable photo is in the fingerprint");

    UserProblemException strict = assertThrows(UserProblemException.class, () -> TrainGoal.run(
        config().failOnBadImages(true).build(), ProgressListener.NONE));
    assertTrue(strict.getMessage().contains("bees/zz-unreadable.jpg: cannot read the file")
        && strict.getMessage().contains("bees/zz-corrupt.jpg"), strict.getMessage());
  }
}
