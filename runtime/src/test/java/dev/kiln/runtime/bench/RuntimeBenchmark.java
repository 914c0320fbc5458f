package dev.kiln.runtime.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Runtime benchmark (a harness, not a test), every figure measured side by side in one run:
 * the runtime vs raw {@code OrtSession.run} on the same tensor and model (single image and batch
 * 16), decode + preprocess of a 500×375 JPEG, and the same model through onnxruntime-node when
 * {@code bench/node} has been installed.
 *
 * <pre>
 * (cd bench/node && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install)
 * mvn -q -pl runtime test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.runtime.bench.RuntimeBenchmark
 * </pre>
 */
public final class RuntimeBenchmark {

  static final int ROUNDS = 5;

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../shared/fixtures"));
    if (!Files.isDirectory(fixtures)) {
      fixtures = Path.of("../../shared/fixtures");
    }
    Path model = fixtures.resolve("onnx/mobilenetv2-12-int8.onnx");
    Path photo = fixtures.resolve("datasets/hymenoptera/val/ants/1053149811_f62a3410d3.jpg");
    Preprocessing spec = Preprocessing.imagenet(224);
    List<String> labels = IntStream.range(0, 1000).mapToObj(i -> "c" + i).collect(Collectors.toList());
    float[] one = Preprocessor.tensor(photo, spec);
    float[] sixteen = new float[16 * one.length];
    for (int i = 0; i < 16; i++) {
      System.arraycopy(one, 0, sixteen, i * one.length, one.length);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    System.out.println("model " + model.getFileName() + ", " + Runtime.getRuntime().availableProcessors()
        + " cores, " + System.getProperty("java.version"));
    try (ImageClassifier kiln = ImageClassifier.load(model, ClassifierOptions.defaults()
            .withDevice(Device.CPU).withLabels(labels).withPreprocessing(spec)
            .withOutput(dev.kiln.runtime.ModelMetadata.Output.LOGITS));
        OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      try (OrtSession raw = env.createSession(model.toString(), so)) {
        String input = raw.getInputNames().iterator().next();
        for (int batch : new int[] {1, 16}) {
          float[] data = batch == 1 ? one : sixteen;
          long[] shape = {batch, 3, 224, 224};
          int iterations = batch == 1 ? 400 : 40;
          double[] kilnMs = new double[ROUNDS];
          double[] rawMs = new double[ROUNDS];
          double[] heapMs = new double[ROUNDS];
          FloatBuffer direct = java.nio.ByteBuffer.allocateDirect(data.length * 4)
              .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
          // interleaved rounds so both see the same machine state
          for (int round = -1; round < ROUNDS; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
              dev.kiln.runtime.internal.Tensors.classify(kiln, data, batch);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
              direct.clear();
              direct.put(data).rewind();
              try (OnnxTensor x = OnnxTensor.createTensor(env, direct, shape);
                  OrtSession.Result r = raw.run(Map.of(input, x))) {
                ((OnnxTensor) r.get(0)).getFloatBuffer();
              }
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
              try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
                  OrtSession.Result r = raw.run(Map.of(input, x))) {
                ((OnnxTensor) r.get(0)).getFloatBuffer();
              }
            }
            long t3 = System.nanoTime();
            if (round >= 0) {
              kilnMs[round] = (t1 - t0) / 1e6 / iterations;
              rawMs[round] = (t2 - t1) / 1e6 / iterations;
              heapMs[round] = (t3 - t2) / 1e6 / iterations;
            }
          }
          double k = median(kilnMs);
          double r = median(rawMs);
          double h = median(heapMs);
          System.out.printf(Locale.ROOT, "batch %2d: runtime %.3f ms/call (%.0f img/s), raw OrtSession"
              + " with a direct buffer %.3f ms/call (%.0f img/s), runtime/raw %.3f; raw with a heap"
              + " FloatBuffer.wrap %.3f ms/call%n", batch, k, batch * 1000 / k, r, batch * 1000 / r,
              k / r, h);
        }
      }
      byte[] jpeg = Files.readAllBytes(photo);
      double[] decode = new double[ROUNDS];
      for (int round = -1; round < ROUNDS; round++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 50; i++) {
          float[] out = new float[spec.tensorSize()];
          Preprocessor.writeTensor(Preprocessor.fit(
              dev.kiln.runtime.image.ImageDecoder.decode(jpeg, "bench", 224), spec), spec, out, 0);
        }
        if (round >= 0) {
          decode[round] = (System.nanoTime() - t0) / 1e6 / 50;
        }
      }
      var size = javax.imageio.ImageIO.read(photo.toFile());
      System.out.printf(Locale.ROOT, "decode + preprocess %dx%d JPEG: %.2f ms%n", size.getWidth(),
          size.getHeight(), median(decode));
      double[] e2e = new double[ROUNDS];
      for (int round = -1; round < ROUNDS; round++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 50; i++) {
          kiln.classify(photo);
        }
        if (round >= 0) {
          e2e[round] = (System.nanoTime() - t0) / 1e6 / 50;
        }
      }
      System.out.printf(Locale.ROOT, "classify(Path) end to end: %.2f ms%n", median(e2e));
    }
    Path node = Path.of("bench/node");
    if (!Files.isDirectory(node)) {
      node = Path.of("../bench/node");
    }
    if (Files.isDirectory(node.resolve("node_modules/onnxruntime-node"))) {
      Process p = new ProcessBuilder("node", "bench.mjs", model.toAbsolutePath().toString())
          .directory(node.toFile()).inheritIO().start();
      p.waitFor();
    } else {
      System.out.println("onnxruntime-node not installed: (cd bench/node &&"
          + " ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install) to compare");
    }
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private RuntimeBenchmark() {}

}
