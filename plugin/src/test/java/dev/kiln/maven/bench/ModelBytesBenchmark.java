package dev.kiln.maven.bench;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.backbone.OnnxBackbones;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.train.EpochStats;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A harness, not a test: trains one small model per mode and training path with fixed seeds and
 * prints the SHA-256 of each model's bytes, of its epoch history and of its log lines (timings
 * left out). Run it before and after a change to the training code and diff the two outputs: a
 * refactoring must leave every line unchanged.
 *
 * <pre>
 * mvn -q -pl plugin test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.bench.ModelBytesBenchmark -Dexec.args=target/bytes.txt
 * </pre>
 */
public final class ModelBytesBenchmark {

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../shared/fixtures"));
    if (!Files.isDirectory(fixtures)) {
      fixtures = Path.of("../../shared/fixtures");
    }
    Path hymenoptera = fixtures.resolve("datasets/hymenoptera");
    Dataset split = DatasetScanner.scan(new DatasetScanner.Request(hymenoptera, List.of(),
        List.of(), 0.2, 42));
    Dataset noVal = DatasetScanner.scan(new DatasetScanner.Request(hymenoptera.resolve("train"),
        List.of(), List.of(), 0.2, 42));
    Backbone v1 = BackboneResolver.resolve(fixtures.resolve(
        "backbones/mobilenet_v1_0.25_224_keras/mobilenet_2_5_224_tf_no_top.h5").toString(),
        Path.of("."), 128);
    Backbone onnx = OnnxBackbones.resolve(fixtures.resolve(
        "onnx/torch/mobilenet_v2_0.5_224_torch/mobilenet_v2_0.5_224_torch.onnx"), null,
        PRE, Preprocessing.Resize.CENTER_CROP, true);

    Map<String, Run> runs = new LinkedHashMap<>();
    runs.put("feature-extractor lbfgs val/", new Run(split, v1, s -> s.mode(Mode.FEATURE_EXTRACTOR)));
    runs.put("feature-extractor lbfgs no-val flip", new Run(noVal, v1,
        s -> s.mode(Mode.FEATURE_EXTRACTOR).testTimeFlip(true).estimateFolds(3)));
    runs.put("feature-extractor adam aug balance", new Run(split, v1,
        s -> s.mode(Mode.FEATURE_EXTRACTOR).headSolver("adam").epochs(6).augmentedCopies(1)
            .balanceClasses(true).labelSmoothing(0.1)));
    runs.put("feature-extractor int8", new Run(noVal, v1,
        s -> s.mode(Mode.FEATURE_EXTRACTOR).quantize("int8").maxQuantizationDrop(0.2).estimateFolds(3)));
    runs.put("auto", new Run(split, v1, s -> s.mode(Mode.AUTO)));
    runs.put("fine-tune", new Run(split, v1, s -> s.mode(Mode.FINE_TUNE).epochs(2)
        .fineTuneBlocks(1)));
    runs.put("fine-tune adam", new Run(split, v1, s -> s.mode(Mode.FINE_TUNE).epochs(2)
        .headSolver("adam").fineTuneBlocks(1)));
    runs.put("full", new Run(split, v1, s -> s.mode(Mode.FULL).epochs(1)));
    runs.put("scratch", new Run(split, v1, s -> s.mode(Mode.SCRATCH).epochs(2)
        .learningRateSchedule("warmup-cosine")));
    runs.put("onnx feature-extractor", new Run(split, onnx, s -> s.preprocessing(PRE).mode(Mode.AUTO)));
    runs.put("onnx fine-tune", new Run(split, onnx, s -> s.preprocessing(PRE).mode(Mode.FINE_TUNE).epochs(1)
        .fineTuneBlocks(1)));
    String only = args.length > 1 ? args[1] : null;
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Run> e : runs.entrySet()) {
      if (only != null && !e.getKey().contains(only)) {
        continue;
      }
      Run run = e.getValue();
      List<String> log = new ArrayList<>();
      ProgressListener listener = new ProgressListener() {
        @Override
        public void phase(String name, String detail) {
          log.add("[" + name + "] " + detail.replaceAll("\\d+ ms", "_ ms")
              .replaceAll("\\(\\d+(\\.\\d+)? s\\)", "(_ s)"));
        }

        @Override
        public void epoch(EpochStats stats) {
          log.add(String.format(java.util.Locale.ROOT, "epoch %d %.6f %.6f %.6f %.6f",
              stats.epoch(), stats.trainLoss(), stats.trainAccuracy(), stats.valLoss(),
              stats.valAccuracy()));
        }

        @Override
        public void warn(String message) {
          log.add("warn " + message);
        }
      };
      TrainingResult r = Trainer.train(TrainingRequest.builder(run.data(), run.backbone())
          .settings(run.settings()).build(), listener);
      StringBuilder history = new StringBuilder();
      r.history().forEach(h -> history.append(String.format(java.util.Locale.ROOT,
          "%d %.8f %.8f %.8f %.8f;", h.epoch(), h.trainLoss(), h.trainAccuracy(), h.valLoss(),
          h.valAccuracy())));
      String line = String.format("%-38s model %s history %s best %d estimate %s", e.getKey(),
          sha(r.onnx()), sha(history.toString().getBytes(StandardCharsets.UTF_8)),
          r.bestEpoch(), r.estimate().line());
      System.out.println(line);
      out.add(line);
      out.add("  log " + sha(String.join("\n", log).getBytes(StandardCharsets.UTF_8)));
      log.forEach(l -> out.add("    " + l));
    }
    if (args.length > 0) {
      Files.write(Path.of(args[0]), out);
    }
  }

  static final String PRE = "size=224x224;mean=127.5,127.5,127.5;std=127.5,127.5,127.5";

  record Run(Dataset data, Backbone backbone, Consumer<TrainConfiguration.Builder> settings) {}

  static String sha(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))
        .substring(0, 16);
  }

  private ModelBytesBenchmark() {}
}
