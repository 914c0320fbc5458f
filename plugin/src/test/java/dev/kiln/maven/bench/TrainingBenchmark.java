package dev.kiln.maven.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.maven.train.FrozenForward;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Training benchmark (a harness, not a test): hymenoptera feature-extractor training split into
 * phases, and Kiln's frozen forward beside a raw ONNX Runtime session on the same exported
 * backbone and batch, interleaved in one run.
 *
 * <pre>
 * mvn -q -pl plugin test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.bench.TrainingBenchmark
 * # peak memory at 1x and 10x the training examples (augmented copies), one JVM each:
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.bench.TrainingBenchmark -Dexec.args="memory 0"
 * mvn -q -pl plugin exec:java ... -Dexec.args="memory 9"
 * # learning-rate schedules compared on the same cached features:
 * mvn -q -pl plugin exec:java ... -Dexec.args="schedules"
 * </pre>
 */
public final class TrainingBenchmark {

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../shared/fixtures"));
    if (!Files.isDirectory(fixtures)) {
      fixtures = Path.of("../../shared/fixtures");
    }
    Backbone backbone = BackboneResolver.resolve(fixtures.resolve(
        "backbones/mobilenet_v1_0.25_224_keras/mobilenet_2_5_224_tf_no_top.h5").toString(),
        Path.of("."), 224);
    Dataset data = DatasetScanner.scan(new DatasetScanner.Request(
        fixtures.resolve("datasets/hymenoptera"), List.of(), List.of(), 0.2, 42));

    // frozen forward vs raw ONNX Runtime, same exported backbone, same batch, interleaved
    long[] shape = {3, 224, 224};
    byte[] frozen = OnnxExporter.export(backbone.featureGraph(null), shape,
        new OnnxExporter.Options(backbone.normalization(), Map.of(), "features"));
    int batch = 16;
    float[] input = new float[batch * 3 * 224 * 224];
    Random random = new Random(1);
    for (int i = 0; i < input.length; i++) {
      input[i] = random.nextInt(256);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    FloatBuffer direct = java.nio.ByteBuffer.allocateDirect(input.length * 4)
        .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    int iterations = 20;
    double[] kiln = new double[5];
    double[] raw = new double[5];
    double[] dl4j = new double[5];
    org.deeplearning4j.nn.graph.ComputationGraph dl4jGraph = backbone.featureGraph(null);
    org.nd4j.linalg.api.ndarray.INDArray dl4jInput = org.nd4j.linalg.factory.Nd4j.create(input,
        new long[] {batch, 3, 224, 224}, 'c');
    try (FrozenForward forward = new FrozenForward(frozen, shape, Device.AUTO);
        OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      try (OrtSession session = env.createSession(frozen, so)) {
        for (int round = -1; round < 5; round++) {
          long a = System.nanoTime();
          for (int i = 0; i < iterations; i++) {
            forward.inputBuffer(batch).put(input);
            forward.run(batch);
          }
          long b = System.nanoTime();
          for (int i = 0; i < iterations; i++) {
            direct.clear();
            direct.put(input).rewind();
            try (OnnxTensor x = OnnxTensor.createTensor(env, direct,
                new long[] {batch, 3, 224, 224});
                OrtSession.Result res = session.run(Map.of("input", x))) {
              ((OnnxTensor) res.get(0)).getFloatBuffer();
            }
          }
          long c = System.nanoTime();
          // the same frozen part in DL4J (oneDNN helpers on): the engine ONNX Runtime replaced
          for (int i = 0; i < iterations / 4; i++) {
            dl4jGraph.outputSingle(false, dl4jInput);
          }
          long d = System.nanoTime();
          if (round >= 0) {
            kiln[round] = batch * iterations * 1e9 / (b - a);
            raw[round] = batch * iterations * 1e9 / (c - b);
            dl4j[round] = batch * (iterations / 4) * 1e9 / (d - c);
          }
        }
      }
    }
    Arrays.sort(kiln);
    Arrays.sort(raw);
    Arrays.sort(dl4j);
    System.out.printf(Locale.ROOT, "frozen forward, batch %d, %s: Kiln FrozenForward %.0f img/s,"
        + " raw OrtSession (direct buffer) %.0f img/s, ratio %.2f (before any DL4J training in this JVM)%n", batch, backbone.architecture().id(),
        kiln[2], raw[2], kiln[2] / raw[2]);
    System.out.printf(Locale.ROOT, "frozen forward, batch %d: DL4J oneDNN %.0f img/s; Kiln"
        + " (ONNX Runtime) / DL4J = %.1fx%n", batch, dl4j[2], kiln[2] / dl4j[2]);
    if (args.length == 1 && args[0].equals("schedules")) {
      // learning-rate schedules on the same cached features
      Path cache = Files.createTempDirectory("kiln-bench-cache");
      for (var schedule : dev.kiln.maven.config.LearningRateSchedule.values()) {
        TrainingResult s = Trainer.train(TrainingRequest.builder(data, backbone).settings(c -> c
            .cacheDir(cache).learningRateSchedule(schedule)
            .headSolver(dev.kiln.maven.config.HeadSolver.ADAM)).build(),
            ProgressListener.NONE);
        System.out.printf(Locale.ROOT, "schedule %s: validation accuracy %.4f (loss %.4f),"
                + " best epoch %d of %d%n", schedule.id(), s.validation().accuracy(),
            s.history().get(s.bestEpoch() - 1).valLoss(), s.bestEpoch(), s.history().size());
      }
      System.exit(0);
    }
    if ((args.length == 2 || args.length == 3) && args[0].equals("memory")) {
      // one training with N augmented copies (N + 1 times the training examples), then peak RSS;
      // optional third argument: the mode (fine-tune runs with a feature cache in a temp folder,
      // as in a Maven build, so that its maps are read back per batch)
      int copies = Integer.parseInt(args[1]);
      Mode mode = args.length == 3 ? Mode.parse(args[2]) : Mode.FEATURE_EXTRACTOR;
      Path cache = mode == Mode.FEATURE_EXTRACTOR ? null
          : Files.createTempDirectory("kiln-memory-cache");
      TrainingResult m = Trainer.train(TrainingRequest.builder(data, backbone).settings(s -> s.mode(mode).cacheDir(cache).augmentation(copies == 0 ? null
              : dev.kiln.runtime.internal.Augmentation.defaults()).augmentedCopies(copies)).build(),
          ProgressListener.NONE);
      System.out.printf(Locale.ROOT, "memory run, %s: %d training examples (%d x %d photos),"
              + " validation accuracy %.4f%n", mode.id(), data.train().size() * (copies + 1),
          copies + 1, data.train().size(), m.validation().accuracy());
      printPeakMemory();
      System.exit(0);
    }
    long t0 = System.nanoTime();
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, backbone).build(),
        ProgressListener.NONE);
    long total = (System.nanoTime() - t0) / 1_000_000;
    TrainingResult.Timings t = r.timings();
    System.out.printf(Locale.ROOT, "hymenoptera feature-extractor (%d train + %d val images):"
            + " validation accuracy %.4f, parity max abs diff %.2e, best epoch %d of %d%n",
        data.train().size(), data.validation().size(), r.validation().accuracy(),
        r.parity().maxAbsDiff(), r.bestEpoch(), r.history().size());
    System.out.printf(Locale.ROOT, "  total %d ms = decode %d + frozen forward %d (%.0f img/s)"
            + " + head training %d + export and parity %d (+ graph building %d)%n", total,
        t.decode(), t.frozenForward(), t.frozenImagesPerSecond(), t.headTraining(), t.export(),
        total - t.decode() - t.frozenForward() - t.headTraining() - t.export());

    // augmentation: copies of each training photo, same seed, no cache (the first build's cost)
    for (int copies : new int[] {0, 2, 4}) {
      long a0 = System.nanoTime();
      TrainingResult ra = Trainer.train(TrainingRequest.builder(data, backbone)
          .settings(s -> s.augmentation(copies == 0 ? null : dev.kiln.runtime.internal.Augmentation.defaults()).augmentedCopies(copies)).build(), ProgressListener.NONE);
      System.out.printf(Locale.ROOT, "augmented copies %d: validation accuracy %.4f (loss %.4f),"
              + " best epoch %d, %d ms%n", copies, ra.validation().accuracy(),
          ra.history().get(ra.bestEpoch() - 1).valLoss(), ra.bestEpoch(),
          (System.nanoTime() - a0) / 1_000_000);
    }
    printPeakMemory();
    System.exit(0);
  }

  static void printPeakMemory() throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM")) {
        System.out.println("peak resident memory: " + line.substring(6).trim());
      }
    }
  }

  private TrainingBenchmark() {}
}
