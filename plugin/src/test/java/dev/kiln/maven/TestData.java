package dev.kiln.maven;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.runtime.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fixtures most tests train on, scanned and loaded once per test JVM instead of once per test
 * class: the hymenoptera photos (their {@code train/} and {@code val/} folders) and the MobileNet
 * v1 α0.25 ImageNet weights at an input size. Both are immutable; training never changes them.
 */
public final class TestData {

  private static final Map<Integer, Backbone> MOBILENETS = new ConcurrentHashMap<>();
  private static Dataset hymenoptera;

  private TestData() {}

  /** @return the hymenoptera photos as the plugin scans them (train/ and val/ folders) */
  public static synchronized Dataset hymenoptera() throws Exception {
    if (hymenoptera == null) {
      hymenoptera = DatasetScanner.scan(new DatasetScanner.Request(Fixtures.hymenoptera(),
          List.of(), List.of(), 0.2, 42));
    }
    return hymenoptera;
  }

  /**
   * Copies the first {@code perLabel} hymenoptera training photos of each label (by name) into
   * {@code images/ants} and {@code images/bees}: a small photo folder a build can own.
   *
   * @return {@code images}
   */
  public static Path copyHymenoptera(Path images, int perLabel) throws java.io.IOException {
    for (String label : List.of("ants", "bees")) {
      Path to = java.nio.file.Files.createDirectories(images.resolve(label));
      try (var files = java.nio.file.Files.list(Fixtures.hymenoptera().resolve("train")
          .resolve(label))) {
        for (Path p : files.sorted().limit(perLabel).toList()) {
          java.nio.file.Files.copy(p, to.resolve(p.getFileName()));
        }
      }
    }
    return images;
  }

  /** @return MobileNet v1 α0.25 with its ImageNet weights at {@code size} pixels */
  public static Backbone mobilenet(int size) {
    return MOBILENETS.computeIfAbsent(size, s -> {
      try {
        return BackboneResolver.resolve(Fixtures.mobilenetH5().toString(), Path.of("."), s);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }
}
