package dev.kiln.maven.backbone;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.maven.export.OnnxExporter;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Frozen-forward speed per family (a harness, not a test): the feature extractor of each catalogue
 * family, exported to ONNX and run by ONNX Runtime (CPU) at batch 16, 224 px, random weights
 * (speed does not depend on them), median of 9 runs after 3 warm-up runs. With the argument {@code catalogue}: every
 * catalogue entry at its own input size (or the names that follow), one tab-separated line each
 * (name, img/s), for docs/backbones.md.
 *
 * <pre>
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.backbone.BackboneBenchmark [-Dexec.args=catalogue]
 * </pre>
 */
public final class BackboneBenchmark {

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("catalogue")) {
      List<String> only = List.of(args).subList(1, args.length); // names, or all
      for (BackboneCatalog.Entry e : BackboneCatalog.entries()) {
        if (!only.isEmpty() && !only.contains(e.name())) {
          continue;
        }
        Backbone b = RandomWeights.of(e.architecture(), e.inputSize(), 3);
        System.out.printf(Locale.ROOT, "%s\t%.1f%n", e.name(), imagesPerSecond(b,
            e.inputSize()));
      }
      return;
    }
    List<Architecture> families = List.of(new MobileNetV1(0.25), new MobileNetV1(1.0),
        new MobileNetV2(0.35), new MobileNetV2(0.5), new MobileNetV2(1.0), new SqueezeNet(),
        new ResNet50(), new Vgg(16), new Vgg(19));
    for (Architecture a : families) {
      Backbone b = RandomWeights.of(a, 224, 3);
      System.out.printf(Locale.ROOT, "%-18s %,12d parameters  %6.1f img/s (batch 16)%n",
          a.id(), b.featureGraph(null).numParams(), imagesPerSecond(b, 224));
    }
  }

  /** @return the median img/s of the frozen forward at batch 16 over 9 runs, after 3 */
  static double imagesPerSecond(Backbone b, int size) throws Exception {
    float[] input = new float[16 * 3 * size * size];
    Random r = new Random(1);
    for (int i = 0; i < input.length; i++) {
      input[i] = r.nextInt(256);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] onnx = OnnxExporter.export(b.featureGraph(null), new long[] {3, size, size},
        new OnnxExporter.Options(b.normalization(), Map.of(), "features"));
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      try (OrtSession s = env.createSession(onnx, o);
          OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input),
              new long[] {16, 3, size, size})) {
        for (int k = 0; k < 3; k++) {
          s.run(Map.of(OnnxExporter.INPUT, t)).close();
        }
        double[] ips = new double[9];
        for (int k = 0; k < ips.length; k++) {
          long t0 = System.nanoTime();
          s.run(Map.of(OnnxExporter.INPUT, t)).close();
          ips[k] = 16 / ((System.nanoTime() - t0) / 1e9);
        }
        Arrays.sort(ips);
        return ips[4];
      }
    }
  }
}
