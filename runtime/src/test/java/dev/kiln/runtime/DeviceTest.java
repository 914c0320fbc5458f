package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * Device choice is decided by trying CUDA. Runs in every build with the CPU onnxruntime, and in
 * the {@code gpu-fallback} profile with the real onnxruntime_gpu artifact (see docs/runtime.md).
 * On a machine with a GPU, set {@code -Dkiln.expectCuda=true}.
 */
class DeviceTest {

  static boolean expectCuda() {
    return Boolean.getBoolean("kiln.expectCuda");
  }

  @Test
  void autoFallsBackToCpuWithoutCuda() throws Exception {
    assumeFalse(expectCuda(), "this machine has CUDA");
    try (ImageClassifier c = ImageClassifier.load(Fixtures.mobilenetV2Int8(),
        ImageClassifierTest.imagenetOptions().withDevice(Device.AUTO))) {
      assertEquals(Device.CPU, c.device());
      c.classify(Fixtures.hymenoptera().resolve("val/ants").toFile().listFiles()[0].toPath());
    }
  }

  @Test
  void cudaFailsClearlyWithoutCuda() {
    assumeFalse(expectCuda(), "this machine has CUDA");
    KilnException e = assertThrows(KilnException.class,
        () -> ImageClassifier.load(Fixtures.mobilenetV2Int8(),
            ImageClassifierTest.imagenetOptions().withDevice(Device.CUDA)));
    assertEquals(KilnException.Reason.DEVICE_UNAVAILABLE, e.reason());
  }

  @Test
  void cudaIsUsedWhenPresent() throws Exception {
    assumeTrue(expectCuda(), "no CUDA expected here (-Dkiln.expectCuda=true on a GPU machine)");
    try (ImageClassifier c = ImageClassifier.load(Fixtures.mobilenetV2Int8(),
        ImageClassifierTest.imagenetOptions().withDevice(Device.AUTO))) {
      assertEquals(Device.CUDA, c.device());
      c.classify(Fixtures.hymenoptera().resolve("val/ants").toFile().listFiles()[0].toPath());
    }
  }
}
