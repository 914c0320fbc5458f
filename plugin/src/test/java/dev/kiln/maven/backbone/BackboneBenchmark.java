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
 * (name, img/s), for docs/backbones.md. With {@code families} and catalogue names: per name the
 * frozen forward on ONNX Runtime and DL4J's fine-tune training step of the top blocks, side by
 * side in one run ({@link #families}).
 *
 * <pre>
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.backbone.BackboneBenchmark [-Dexec.args=catalogue]
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.backbone.BackboneBenchmark \
 *     -Dexec.args="families resnet50 mobilenet_v2_1.0_224 inception_v3 ..."
 * </pre>
 */
public final class BackboneBenchmark {

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("families")) {
      families(List.of(args).subList(1, args.length));
      return;
    }
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

  /** The families run: batch 8, the median of 3 runs after 1 (the largest nets take minutes). */
  private static final int BATCH = 8;

  /**
   * Per catalogue name, in one run (ratios to the first name are what compares on a shared
   * machine): the frozen forward on ONNX Runtime, as {@code imagesPerSecond} but at batch 8,
   * median of 3 runs after 1; and DL4J's fine-tune training step, the top units {@code fine-tune}
   * trains by default ({@code fineTuneBlocks=2}, or all the family has: NASNet's one) fitted on
   * feature maps at batch 8 (Adam), median of 3 steps after 1. Each at the entry's own input
   * size, random weights (calibrated at the family's smallest size: speed does not depend on
   * them). One tab-separated line per name.
   */
  private static void families(List<String> names) throws Exception {
    System.out.println("name\tinput\tparameters\tORT frozen img/s\tDL4J fine-tune img/s\tunits");
    for (String name : names) {
      BackboneCatalog.Entry e = BackboneCatalog.find(name).orElseThrow();
      Architecture a = e.architecture();
      Backbone b = new Backbone("random:" + a.id(), "0".repeat(64), a, e.inputSize(),
          RandomWeights.weights(a, Math.max(32, a.smallestInput()), 3));
      double ort = imagesPerSecond(b, e.inputSize(), BATCH, 1, 3);
      int units = Math.min(2, a.trainableUnits());
      double fineTune = fineTuneImagesPerSecond(b, units);
      System.out.printf(Locale.ROOT, "%s\t%d\t%d\t%.2f\t%.2f\t%d%n", e.name(), e.inputSize(),
          e.parameters(), ort, fineTune, units);
    }
  }

  /** @return img/s of DL4J's training step on the top {@code units}, median of 3 after 1 */
  static double fineTuneImagesPerSecond(Backbone b, int units) {
    Architecture a = b.architecture();
    org.deeplearning4j.nn.graph.ComputationGraph top = b.topGraph(units, 2, 0.2, 11,
        new org.nd4j.linalg.learning.config.Adam(1e-4), 1e-4);
    long[] map = a.shapeAfter(a.cutBefore(units), b.inputSize());
    org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(5);
    var x = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, BATCH,
        map[0], map[1], map[2]);
    var y = org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, BATCH,
        2);
    for (int i = 0; i < BATCH; i++) {
      y.putScalar(i, i % 2, 1);
    }
    var data = new org.nd4j.linalg.dataset.DataSet(x, y);
    top.fit(data);
    double[] ips = new double[3];
    for (int k = 0; k < ips.length; k++) {
      long t0 = System.nanoTime();
      top.fit(data);
      ips[k] = BATCH / ((System.nanoTime() - t0) / 1e9);
    }
    Arrays.sort(ips);
    return ips[1];
  }

  /** @return the median img/s of the frozen forward at batch 16 over 9 runs, after 3 */
  static double imagesPerSecond(Backbone b, int size) throws Exception {
    return imagesPerSecond(b, size, 16, 3, 9);
  }

  /** @return the median img/s of the frozen forward at {@code batch} over runs, after warm-ups */
  static double imagesPerSecond(Backbone b, int size, int batch, int warmUps, int runs)
      throws Exception {
    float[] input = new float[batch * 3 * size * size];
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
              new long[] {batch, 3, size, size})) {
        for (int k = 0; k < warmUps; k++) {
          s.run(Map.of(OnnxExporter.INPUT, t)).close();
        }
        double[] ips = new double[runs];
        for (int k = 0; k < ips.length; k++) {
          long t0 = System.nanoTime();
          s.run(Map.of(OnnxExporter.INPUT, t)).close();
          ips[k] = batch / ((System.nanoTime() - t0) / 1e9);
        }
        Arrays.sort(ips);
        return ips[runs / 2];
      }
    }
  }
}
