package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

/**
 * MobileNetV2 α0.5 with the real keras-applications weights: Keras' parameter count, and the
 * pooled features of Kiln's export equal to those of the independent PyTorch rebuild of the same
 * weights in the fixtures ({@code onnx/torch/mobilenet_v2_0.5_224_torch.onnx}, verified there
 * against a numpy Keras reference to 1.1e-5).
 */
class MobileNetV2Test {

  static Path h5() {
    return Fixtures.root().resolve("backbones/mobilenet_v2_0.5_224_keras/"
        + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5");
  }

  @Test
  void recognisedWithKerasParameterCountAndTorchEqualFeatures() throws Exception {
    Backbone b = BackboneResolver.resolve(h5().toString(), Path.of("."), 224);
    assertEquals(new MobileNetV2(0.5), b.architecture());
    assertEquals("mobilenet_v2_0.5", b.architecture().id());
    ComputationGraph features = b.featureGraph(null);
    assertEquals(706_224, features.numParams(), "keras-applications' count (BatchNorm included)");
    assertEquals(List.of(1280L, 7L, 7L),
        java.util.Arrays.stream(b.architecture().shapeAfter("out_relu", 224)).boxed().toList());

    Preprocessing raw = Preprocessing.raw(224, Preprocessing.Resize.CENTER_CROP);
    byte[] kiln = OnnxExporter.export(features, new long[] {3, 224, 224},
        new OnnxExporter.Options(b.normalization(), Map.of(), "features"));
    Path torch = Fixtures.root().resolve("onnx/torch/mobilenet_v2_0.5_224_torch/"
        + "mobilenet_v2_0.5_224_torch.onnx");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    double max = 0;
    double scale = 0;
    try (OrtSession ours = env.createSession(kiln); OrtSession theirs =
        env.createSession(torch.toString())) {
      for (String photo : List.of("val/bees/1032546534_06907fe3b3.jpg",
          "val/ants/1053149811_f62a3410d3.jpg")) {
        var image = Preprocessor.load(Fixtures.hymenoptera().resolve(photo), raw);
        float[] pixels = new float[raw.tensorSize()];
        Preprocessor.writeTensor(image, raw, pixels, 0);
        float[] scaled = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
          scaled[i] = pixels[i] / 127.5f - 1; // the torch graph takes [-1, 1]
        }
        long[] shape = {1, 3, 224, 224};
        try (OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), shape);
            OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(scaled), shape);
            var ra = ours.run(Map.of(OnnxExporter.INPUT, a));
            var rt = theirs.run(Map.of("input", t), java.util.Set.of("pooled"))) {
          float[] x = ((float[][]) ra.get(0).getValue())[0];
          float[] y = ((float[][]) rt.get(0).getValue())[0];
          assertEquals(1280, x.length);
          for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
            scale = Math.max(scale, Math.abs(y[i]));
          }
        }
      }
    }
    System.out.printf("MobileNetV2 0.5: Kiln vs torch pooled features max abs diff %.2e (values"
        + " up to %.2f)%n", max, scale);
    assertTrue(scale > 1, "real activations");
    assertTrue(max < 1e-3, "max abs diff " + max);
  }

  @Test
  void trainsFeatureExtractorAndFineTuneWithParity() throws Exception {
    Backbone b = BackboneResolver.resolve(h5().toString(), Path.of("."), 128);
    dev.kiln.maven.dataset.Dataset data = dev.kiln.maven.dataset.DatasetScanner.scan(
        new dev.kiln.maven.dataset.DatasetScanner.Request(Fixtures.hymenoptera(), List.of(),
            List.of(), 0.2, 42));
    for (dev.kiln.maven.config.Mode mode : List.of(dev.kiln.maven.config.Mode.FEATURE_EXTRACTOR,
        dev.kiln.maven.config.Mode.FINE_TUNE)) {
      dev.kiln.maven.train.TrainingResult r = dev.kiln.maven.train.Trainer.train(
          dev.kiln.maven.train.TrainingRequest.builder(data, b).settings(s -> s.mode(mode).epochs(2)).build(),
          dev.kiln.maven.train.ProgressListener.NONE);
      System.out.printf("MobileNetV2 0.5 at 128 px, %s: estimate %s, parity %.2e%n", mode.id(),
          r.estimate().line(), r.parity().maxAbsDiff());
      assertTrue(r.parity().passed(dev.kiln.maven.export.ParityChecker.TOLERANCE),
          "parity " + r.parity());
      assertTrue(r.estimate().accuracy() > 0.8, r.estimate().line());
    }
  }
}
