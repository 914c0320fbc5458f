package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import dev.kiln.runtime.internal.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * float32 vs int8 vs fp16 per fixture backbone (a harness, not a test), issue 15: model size,
 * accuracy on the 73 hymenoptera {@code val/} photos, img/s at batch 1 and 16 on this CPU through
 * the runtime's tensor path, the three models interleaved in each of 5 rounds (median).
 *
 * <pre>
 * mvn -q install -DskipTests -Dkiln.it.skip
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.train.QuantizationBenchmark
 * </pre>
 */
public final class QuantizationBenchmark {

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../shared/fixtures"));
    if (!Files.isDirectory(fixtures)) {
      fixtures = Path.of("../../shared/fixtures");
    }
    Dataset data = DatasetScanner.scan(new DatasetScanner.Request(
        fixtures.resolve("datasets/hymenoptera"), List.of(), List.of(), 0.2, 42));
    Path cache = Files.createTempDirectory("kiln-quant-bench");
    Preprocessing raw = Preprocessing.raw(224, Preprocessing.Resize.CENTER_CROP);
    float[] batch = new float[16 * raw.tensorSize()];
    List<LabelledImage> val = data.validation();
    for (int i = 0; i < 16; i++) {
      Preprocessor.writeTensor(Preprocessor.load(val.get(i).file(), raw), raw, batch,
          i * raw.tensorSize());
    }
    float[] one = Arrays.copyOf(batch, raw.tensorSize());
    for (String weights : List.of(
        "backbones/mobilenet_v1_0.25_224_keras/mobilenet_2_5_224_tf_no_top.h5",
        "backbones/mobilenet_v2_0.35_224_keras/"
            + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        "backbones/mobilenet_v2_0.5_224_keras/"
            + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5")) {
      Backbone b = BackboneResolver.resolve(fixtures.resolve(weights).toString(), Path.of("."),
          224);
      List<String> kinds = List.of("none", "int8", "fp16");
      List<TrainingResult> results = new ArrayList<>();
      for (String kind : kinds) {
        results.add(Trainer.train(TrainingRequest.builder(data, b).settings(s -> s.cacheDir(cache).quantize(kind)).build(), ProgressListener.NONE));
      }
      List<ImageClassifier> classifiers = new ArrayList<>();
      for (TrainingResult r : results) {
        classifiers.add(ImageClassifier.load(r.onnx(), "bench",
            ClassifierOptions.defaults().withDevice(Device.CPU)));
      }
      double[][] b1 = new double[3][5];
      double[][] b16 = new double[3][5];
      for (int round = 0; round < 5; round++) {
        for (int k = 0; k < 3; k++) {
          ImageClassifier c = classifiers.get(k);
          for (int w = 0; w < 3; w++) {
            Tensors.classify(c, batch, 16);
          }
          long t0 = System.nanoTime();
          for (int i = 0; i < 8; i++) {
            Tensors.classify(c, batch, 16);
          }
          long t1 = System.nanoTime();
          for (int i = 0; i < 32; i++) {
            Tensors.classify(c, one, 1);
          }
          long t2 = System.nanoTime();
          b16[k][round] = 8 * 16 / ((t1 - t0) / 1e9);
          b1[k][round] = 32 / ((t2 - t1) / 1e9);
        }
      }
      System.out.println(b.architecture().id() + ":");
      for (int k = 0; k < 3; k++) {
        TrainingResult r = results.get(k);
        System.out.printf(Locale.ROOT, "  %-5s %,10d bytes (%.2fx)  val/ %.1f%% (%d/73)  batch 1:"
                + " %6.1f img/s  batch 16: %6.1f img/s%n", kinds.get(k), r.onnx().length,
            r.onnx().length / (double) results.get(0).onnx().length,
            r.validation().accuracy() * 100,
            Math.round(r.validation().accuracy() * r.validation().images()),
            median(b1[k]), median(b16[k]));
        classifiers.get(k).close();
      }
    }
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
