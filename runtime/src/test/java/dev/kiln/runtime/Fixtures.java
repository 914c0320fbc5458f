package dev.kiln.runtime;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code ../shared/fixtures}; tests that need it skip with a message when it is absent
 * — unless the environment variable {@value #REQUIRED} is {@code true} (CI sets it in {@code
 * .ci/run}), which makes a missing folder a failure instead of silent skips. Shared with the
 * plugin's tests through the runtime's test jar.
 */
public final class Fixtures {

  /** Environment variable that turns a missing fixtures folder into a failure. */
  public static final String REQUIRED = "KILN_FIXTURES_REQUIRED";

  private Fixtures() {}

  public static Path root() {
    String configured = System.getProperty("kiln.fixtures");
    Path p = configured != null ? Path.of(configured) : Path.of("../../shared/fixtures");
    if (!Files.isDirectory(p)) {
      p = Path.of("../shared/fixtures");
    }
    String missing = "shared fixtures not found at " + p.toAbsolutePath()
        + " (set -Dkiln.fixtures=/path/to/shared/fixtures to run this test)";
    if (!Files.isDirectory(p) && "true".equals(System.getenv(REQUIRED))) {
      throw new IllegalStateException(missing + "; " + REQUIRED + "=true requires them");
    }
    assumeTrue(Files.isDirectory(p), missing);
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

  public static Path mobilenetH5() {
    return root().resolve("backbones/mobilenet_v1_0.25_224_keras/mobilenet_2_5_224_tf_no_top.h5");
  }

  public static Path mobilenetTfjs() {
    return root().resolve("backbones/mobilenet_v1_0.25_224_tfjs/mobilenet_model.json");
  }
}
