package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random weights written in Keras' layout read back as the family they came from: the files the
 * backbone-catalogue IT's mirror serves ({@link RandomMirror}) are recognised by their layer names
 * as a Keras file of that family would be. NASNet's separable convolutions are written as Keras'
 * one layer ({@code depthwise_kernel}, {@code pointwise_kernel}).
 */
class KerasWeightsWriterTest {

  @TempDir
  Path dir;

  @Test
  void randomNasNetReadsBackAsNasNetInKerasLayout() throws Exception {
    Architecture arch = BackboneCatalog.find("nasnet_mobile").orElseThrow().architecture();
    Map<String, WeightTensor> written = RandomWeights.weights(arch, 32, 3);
    Path h5 = dir.resolve("NASNet-mobile-no-top.h5");
    KerasWeightsWriter.write(written, h5);

    Map<String, WeightTensor> read = KerasWeights.read(h5);
    assertTrue(read.containsKey("separable_conv_1_normal_left1_0/pointwise_kernel"), "Keras' name");
    assertTrue(read.keySet().stream().noneMatch(k -> k.contains("_pointwise/")),
        "no Kiln-only layer names in the file");
    assertEquals(arch, BackboneResolver.resolve(h5, 32).architecture());
    written.forEach((key, t) -> {
      String keras = key.replaceFirst("_pointwise/kernel$", "/pointwise_kernel");
      assertArrayEquals(t.shape(), read.get(keras).shape(), key);
      assertArrayEquals(t.data(), read.get(keras).data(), key);
    });
  }
}
