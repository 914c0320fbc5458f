package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weight names of the newer families' Keras files, in an {@code .h5} written as Keras 2 writes
 * one (a layer group per {@code layer_names} entry, its {@code weight_names}): DenseNet's stem
 * named with Keras 2.1's name scopes ({@code conv1/conv}, reachable as today's {@code
 * conv1_conv}) and a Normalization layer's {@code mean}, {@code variance}, {@code count}
 * (EfficientNet's input).
 */
class KerasNamesTest {

  @TempDir
  Path dir;

  @Test
  void nameScopedLayersAndNormalizationStatistics() throws Exception {
    Path h5 = dir.resolve("weights.h5");
    try (WritableHdfFile file = HdfFile.write(h5)) {
      file.putAttribute("layer_names", new String[] {"conv1/conv", "normalization"});
      WritableGroup conv = file.putGroup("conv1").putGroup("conv");
      conv.putAttribute("weight_names", new String[] {"conv1/conv/kernel:0"});
      conv.putGroup("conv1").putGroup("conv").putDataset("kernel:0",
          new float[][][][] {{{{1f, 2f}}}});
      WritableGroup norm = file.putGroup("normalization");
      norm.putAttribute("weight_names", new String[] {"normalization/mean:0",
          "normalization/variance:0", "normalization/count:0"});
      WritableGroup inner = norm.putGroup("normalization");
      inner.putDataset("mean:0", new float[] {0.485f, 0.456f, 0.406f});
      inner.putDataset("variance:0", new float[] {0.229f, 0.224f, 0.225f});
      inner.putDataset("count:0", new float[] {0f});
    }
    Map<String, WeightTensor> w = KerasWeights.readH5(h5);
    assertArrayEquals(new float[] {1f, 2f}, w.get("conv1/conv/kernel").data());
    assertSame(w.get("conv1/conv/kernel"), w.get("conv1_conv/kernel"));
    assertArrayEquals(new float[] {0.485f, 0.456f, 0.406f}, w.get("normalization/mean").data());
    assertArrayEquals(new float[] {0.229f, 0.224f, 0.225f},
        w.get("normalization/variance").data());
  }
}
