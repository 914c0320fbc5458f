package dev.kiln.maven.goal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln:featurizer} writes the frozen part training runs: raw RGB in (its raw preprocessing
 * in the metadata, for kiln-spark), pooled features out, equal to what training computes.
 */
class FeaturizerGoalTest {

  @Test
  void writesTheFrozenPartTrainingRuns(@TempDir Path project) throws Exception {
    TrainConfiguration c = TrainConfiguration.builder().baseDir(project)
        .className("com.acme.Insects").backbone(Fixtures.mobilenetH5().toString())
        .inputSize(160).pooling("max").build();
    Path file = FeaturizerGoal.run(c, ProgressListener.NONE);
    assertEquals(project.resolve("target/kiln/featurizer.onnx"), file);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(Files.readAllBytes(file))) {
      Map<String, String> meta = s.getMetadata().getCustomMetadata();
      Preprocessing raw = Preprocessing.parse(meta.get("kiln.preprocessing"));
      assertEquals(Preprocessing.raw(160, Preprocessing.Resize.CENTER_CROP), raw);
      assertEquals("max", meta.get("kiln.featurizer.pooling"));
      assertEquals("conv_pw_13_relu", meta.get("kiln.featurizer.cut"));
      float[] x = Preprocessor.tensor(Fixtures.hymenoptera().resolve(
          "val/bees/1032546534_06907fe3b3.jpg"), raw);
      try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
          new long[] {1, 3, 160, 160}); OrtSession.Result r = s.run(Map.of("input", t))) {
        float[][] features = (float[][]) r.get(0).getValue();
        assertEquals(256, features[0].length); // MobileNet v1 α0.25's last block
        assertTrue(features[0][0] >= 0, "ReLU'd features");
      }
    }
  }
}
