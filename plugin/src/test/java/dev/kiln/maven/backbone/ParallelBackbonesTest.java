package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several backbones in one model, on the real MobileNet v1 α0.25 and MobileNetV2 α0.5 weights:
 * the combined frozen graph gives each trunk's own features side by side, and a model trained on
 * hymenoptera through {@link Trainer} passes parity, quantises to int8 and classifies in the
 * runtime like any other.
 */
class ParallelBackbonesTest {

  static final int SIZE = 128;
  static Backbone v1;
  static Backbone v2;
  static Backbone both;

  @BeforeAll
  static void load() throws Exception {
    v1 = BackboneResolver.resolve(Fixtures.mobilenetH5(), SIZE);
    v2 = BackboneResolver.resolve(MobileNetV2Test.h5(), SIZE);
    both = ParallelBackbones.combine(List.of(v1, v2), Preprocessing.Resize.CENTER_CROP);
  }

  @Test
  void itsFeaturesAreEachTrunksOwnFeaturesConcatenated() throws Exception {
    OnnxArchitecture arch = (OnnxArchitecture) both.architecture();
    assertEquals("multi:mobilenet_v1_0.25+mobilenet_v2_0.5", arch.id());
    assertEquals(256 + 1280, arch.features());
    assertTrue(ParallelBackbones.isParallel(arch));
    float[] photos = new float[2 * 3 * SIZE * SIZE];
    Random r = new Random(7);
    for (int i = 0; i < photos.length; i++) {
      photos[i] = r.nextInt(256);
    }
    float[][] all = features(arch.featuresModel(false), photos);
    float[][] a = features(trunk(v1), photos);
    float[][] b = features(trunk(v2), photos);
    double worst = 0;
    for (int n = 0; n < 2; n++) {
      assertEquals(a[n].length + b[n].length, all[n].length);
      for (int j = 0; j < all[n].length; j++) {
        float want = j < a[n].length ? a[n][j] : b[n][j - a[n].length];
        worst = Math.max(worst, Math.abs(want - all[n][j]));
      }
    }
    assertTrue(worst <= 1e-4, "max difference " + worst);
  }

  @Test
  void itsIdentityCoversEveryTrunk() {
    Backbone other = ParallelBackbones.combine(List.of(v1, v2.withPooling(
        org.deeplearning4j.nn.conf.layers.PoolingType.MAX)), Preprocessing.Resize.CENTER_CROP);
    assertNotEquals(both.cacheIdentity(), other.cacheIdentity());
    Backbone swapped = ParallelBackbones.combine(List.of(v2, v1),
        Preprocessing.Resize.CENTER_CROP);
    assertNotEquals(both.cacheIdentity(), swapped.cacheIdentity());
    assertThrows(IllegalArgumentException.class, () -> ParallelBackbones.combine(List.of(v1),
        Preprocessing.Resize.CENTER_CROP));
  }

  @Test
  void trainsShipsWithParityQuantisesAndClassifiesInTheRuntime() throws Exception {
    Dataset data = DatasetScanner.scan(new DatasetScanner.Request(Fixtures.hymenoptera(),
        List.of(), List.of(), 0.2, 42));
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, both)
        .settings(s -> s.quantize("int8")).build(), dev.kiln.maven.train.ProgressListener.NONE);
    System.out.printf("v1 0.25 + v2 0.5 at %d px: %s; parity %.2e; %s%n", SIZE,
        r.estimate().line(), r.parity().maxAbsDiff(), r.quantization().line());
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE), "parity " + r.parity());
    assertEquals("feature-extractor", r.metadata().training().get("mode"));
    assertTrue(r.metadata().training().get("backbone").contains(
        "mobilenet_v1_0.25+mobilenet_v2_0.5"), r.metadata().training().get("backbone"));
    assertEquals("int8", r.quantization().kind());
    assertTrue(r.quantization().accuracy() >= r.quantization().floatAccuracy() - 0.02,
        r.quantization().line());
    try (ImageClassifier c = ImageClassifier.load(r.onnx(), "both",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      assertEquals(List.of("ants", "bees"), c.labels());
      assertEquals(Preprocessing.raw(SIZE, Preprocessing.Resize.CENTER_CROP),
          c.metadata().preprocessing());
      List<LabelledImage> val = data.validation();
      var out = c.classifyFiles(val.stream().map(LabelledImage::file).toList());
      int right = 0;
      for (int i = 0; i < val.size(); i++) {
        right += out.get(i).best().label().equals(data.labels().get(val.get(i).label())) ? 1 : 0;
      }
      System.out.printf("int8 in the runtime: %d/%d right%n", right, val.size());
      assertTrue(right >= 0.85 * val.size(), right + "/" + val.size());
    }
  }

  /** A trunk's own frozen model, as a single backbone's feature extractor is exported. */
  static byte[] trunk(Backbone b) {
    return OnnxExporter.export(b.featureGraph(null), new long[] {3, SIZE, SIZE},
        new OnnxExporter.Options(b.normalization(), Map.of(), "features"));
  }

  static float[][] features(byte[] onnx, float[] photos) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        OrtSession s = env.createSession(onnx, so);
        OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(photos),
            new long[] {2, 3, SIZE, SIZE});
        OrtSession.Result out = s.run(Map.of(OnnxExporter.INPUT, x))) {
      return (float[][]) out.get(0).getValue();
    }
  }
}
