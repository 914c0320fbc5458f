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
 * (speed does not depend on them), 5 runs, median.
 *
 * <pre>
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.backbone.BackboneBenchmark
 * </pre>
 */
public final class BackboneBenchmark {

  public static void main(String[] args) throws Exception {
    List<Architecture> families = List.of(new MobileNetV1(0.25), new MobileNetV1(1.0),
        new MobileNetV2(0.35), new MobileNetV2(0.5), new MobileNetV2(1.0), new SqueezeNet(),
        new ResNet50(), new Vgg(16), new Vgg(19));
    float[] input = new float[16 * 3 * 224 * 224];
    Random r = new Random(1);
    for (int i = 0; i < input.length; i++) {
      input[i] = r.nextInt(256);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (Architecture a : families) {
      Backbone b = RandomWeights.of(a, 224, 3);
      long params = b.featureGraph(null).numParams();
      byte[] onnx = OnnxExporter.export(b.featureGraph(null), new long[] {3, 224, 224},
          new OnnxExporter.Options(b.normalization(), Map.of(), "features"));
      try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        try (OrtSession s = env.createSession(onnx, o);
            OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input),
                new long[] {16, 3, 224, 224})) {
          s.run(Map.of(OnnxExporter.INPUT, t)).close();
          double[] ips = new double[5];
          for (int k = 0; k < 5; k++) {
            long t0 = System.nanoTime();
            s.run(Map.of(OnnxExporter.INPUT, t)).close();
            ips[k] = 16 / ((System.nanoTime() - t0) / 1e9);
          }
          Arrays.sort(ips);
          System.out.printf(Locale.ROOT, "%-18s %,12d parameters  %6.1f img/s (batch 16)%n",
              a.id(), params, ips[2]);
        }
      }
    }
  }
}
