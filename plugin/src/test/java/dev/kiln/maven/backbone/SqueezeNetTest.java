package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SqueezeNet v1.1 with the real DeepScale weights (Keras-1 port: weights read by position):
 * Keras' parameter count, caffe BGR preprocessing inside the exported graph, feature maps equal
 * to the fixtures' independent torchvision rebuild ({@code squeezenet1.1_features_torch.onnx}),
 * and a feature-extractor training with export parity.
 */
class SqueezeNetTest {

  static Path h5() {
    return Fixtures.root().resolve("backbones/squeezenet_v1.1_keras/"
        + "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5");
  }

  @Test
  void featuresEqualTheTorchRebuildAndTrainingExportsWithParity() throws Exception {
    Backbone b = BackboneResolver.resolve(h5().toString(), Path.of("."), 224);
    assertEquals(new SqueezeNet(), b.architecture());
    assertEquals(722_496, b.featureMapGraph("fire9/concat").numParams());
    assertEquals(List.of(512L, 13L, 13L), java.util.Arrays.stream(
        b.architecture().shapeAfter("fire9/concat", 224)).boxed().toList());

    Preprocessing raw = Preprocessing.raw(224, Preprocessing.Resize.CENTER_CROP);
    byte[] kiln = OnnxExporter.export(b.featureMapGraph("fire9/concat"), new long[] {3, 224, 224},
        new OnnxExporter.Options(b.normalization(), Map.of(), "features"));
    Path torch = Fixtures.root().resolve("onnx/torch/squeezenet1.1_features_torch/"
        + "squeezenet1.1_features_torch.onnx");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    double max = 0;
    double scale = 0;
    try (OrtSession ours = env.createSession(kiln);
        OrtSession theirs = env.createSession(torch.toString())) {
      var image = Preprocessor.load(Fixtures.hymenoptera()
          .resolve("val/bees/1032546534_06907fe3b3.jpg"), raw);
      float[] rgb = new float[raw.tensorSize()];
      float[] bgr = new float[raw.tensorSize()];
      Preprocessor.writeTensor(image, raw, rgb, 0);
      Preprocessor.writeTensor(image, b.normalization(), bgr, 0); // what torch takes
      long[] shape = {1, 3, 224, 224};
      try (OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(rgb), shape);
          OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(bgr), shape);
          var ra = ours.run(Map.of(OnnxExporter.INPUT, a));
          var rt = theirs.run(Map.of("input", t))) {
        FloatBuffer x = ((OnnxTensor) ra.get(0)).getFloatBuffer();
        FloatBuffer y = ((OnnxTensor) rt.get(0)).getFloatBuffer();
        assertEquals(512 * 13 * 13, x.remaining());
        while (x.hasRemaining()) {
          float u = x.get();
          float v = y.get();
          max = Math.max(max, Math.abs(u - v));
          scale = Math.max(scale, Math.abs(v));
        }
      }
    }
    System.out.printf("SqueezeNet 1.1: Kiln vs torch feature maps max abs diff %.2e (values up"
        + " to %.1f)%n", max, scale);
    assertTrue(scale > 10 && max < 1e-5 * scale * 100, "max abs diff " + max);

    Dataset data = dev.kiln.maven.TestData.hymenoptera();
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, b).build(),
        ProgressListener.NONE);
    System.out.printf("SqueezeNet 1.1 feature extractor: estimate %s, parity %.2e%n",
        r.estimate().line(), r.parity().maxAbsDiff());
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE), "parity " + r.parity());
    assertTrue(r.estimate().accuracy() >= 0.85, r.estimate().line());
  }
}
