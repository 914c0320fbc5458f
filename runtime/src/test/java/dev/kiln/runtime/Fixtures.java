package dev.kiln.runtime;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates {@code ../shared/fixtures}; tests that need it skip with a message when it is absent. */
public final class Fixtures {

  private Fixtures() {}

  public static Path root() {
    String configured = System.getProperty("kiln.fixtures");
    Path p = configured != null ? Path.of(configured) : Path.of("../../shared/fixtures");
    if (!Files.isDirectory(p)) {
      p = Path.of("../shared/fixtures");
    }
    assumeTrue(Files.isDirectory(p),
        "shared fixtures not found at " + p.toAbsolutePath()
            + " (set -Dkiln.fixtures=/path/to/shared/fixtures to run this test)");
    return p.normalize().toAbsolutePath();
  }

  public static Path awkward(String name) {
    return root().resolve("awkward").resolve(name);
  }

  public static Path hymenoptera() {
    return root().resolve("datasets/hymenoptera");
  }

  public static Path mobilenetV2Int8() {
    return root().resolve("onnx/mobilenetv2-12-int8.onnx");
  }
}
