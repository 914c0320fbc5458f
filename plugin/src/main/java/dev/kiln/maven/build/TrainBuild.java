package dev.kiln.maven.build;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.maven.UserProblemException;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.codegen.ClassifierGenerator;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.fingerprint.Fingerprint;
import dev.kiln.maven.report.ReportWriter;
import dev.kiln.maven.train.LearningRateSchedule;
import dev.kiln.maven.train.Mode;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.maven.train.Trainer;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.image.Preprocessing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code train} goal's work, without Maven: scan, fingerprint, reuse the previous model when
 * nothing changed, otherwise train, check the quality gate, and write the model, report and
 * metrics atomically. A failed gate or run never replaces the previous good model.
 */
public final class TrainBuild {

  /**
   * Everything the goal was configured with.
   *
   * @param baseDir project folder (relative paths resolve against it)
   * @param images dataset folder
   * @param includes include patterns (empty: common image types)
   * @param excludes exclude patterns
   * @param validationSplit held-out fraction without train/val folders
   * @param backbone backbone setting (a local .h5 or TF.js model.json)
   * @param inputSize input width and height
   * @param mode transfer mode id
   * @param featureLayer cut layer or null
   * @param resize resize policy id
   * @param epochs maximum epochs
   * @param batchSize minibatch size
   * @param learningRate learning rate
   * @param dropout dropout before the head
   * @param weightDecay weight decay
   * @param patience early-stopping patience
   * @param seed seed
   * @param failOnBadImages fail on undecodable images instead of skipping them
   * @param minAccuracy validation accuracy gate in [0, 1]
   * @param className the generated class
   * @param classesDir where the model resource goes ({@code target/classes})
   * @param workDir Kiln's own output folder ({@code target/kiln})
   * @param force retrain even when up to date
   * @param pluginVersion this plugin's version
   * @param device where the frozen part runs
   * @param labelSmoothing label smoothing ε
   * @param balanceClasses weight the loss by inverse label frequency
   * @param cacheDir frozen-feature cache, or null for none
   * @param augmentedCopies augmented copies per training image
   * @param augmentation the copies' augmentation as {@code key=value;...} (null: defaults)
   * @param schedule learning-rate schedule id
   * @param fineTuneBlocks top blocks trained in mode fine-tune
   * @param backboneSource cache, mirror and SHA-256 for catalogue names and URLs
   * @param pooling global pooling before the head: {@code avg} or {@code max}
   * @param hiddenUnits units of a ReLU dense layer before the softmax head (0: none)
   * @param maxAccuracyDrop how much lower than the replaced model's accuracy (on the same
   *     validation photos) the new one may be, 0–1; negative: no comparison
   */
  public record Request(Path baseDir, Path images, List<String> includes, List<String> excludes,
      double validationSplit, String backbone, int inputSize, String mode, String featureLayer,
      String resize, int epochs, int batchSize, double learningRate, double dropout,
      double weightDecay, int patience, long seed, boolean failOnBadImages, double minAccuracy,
      String className, Path classesDir, Path workDir, boolean force, String pluginVersion,
      Device device, double labelSmoothing, boolean balanceClasses, Path cacheDir,
      int augmentedCopies, String augmentation, String schedule, int fineTuneBlocks,
      BackboneResolver.Source backboneSource, String pooling, int hiddenUnits,
      double maxAccuracyDrop) {
    public Request {
      Objects.requireNonNull(baseDir, "baseDir");
      Objects.requireNonNull(images, "images");
      Objects.requireNonNull(classesDir, "classesDir");
      Objects.requireNonNull(workDir, "workDir");
      Objects.requireNonNull(backboneSource, "backboneSource");
      includes = includes == null ? List.of() : List.copyOf(includes);
      excludes = excludes == null ? List.of() : List.copyOf(excludes);
      if (maxAccuracyDrop > 1) {
        throw new IllegalArgumentException("maxAccuracyDrop must be between 0 and 1 (e.g. 0.02),"
            + " was " + maxAccuracyDrop);
      }
      if (minAccuracy < 0 || minAccuracy > 1) {
        throw new IllegalArgumentException("minAccuracy must be between 0 and 1 (e.g. 0.9), was "
            + minAccuracy);
      }
    }
  }

  /**
   * @param upToDate true when the previous model was reused
   * @param model the model resource written (or kept)
   * @param accuracy validation accuracy of the model
   * @param report the HTML report
   * @param labels labels in model order
   */
  public record Outcome(boolean upToDate, Path model, double accuracy, Path report,
      List<String> labels) {
    /** @return the closing log line */
    public String line() {
      return String.format(Locale.ROOT, "%s: validation accuracy %.1f%%, model %s, report %s",
          upToDate ? "Up to date" : "Trained", accuracy * 100, model, report);
    }
  }

  private TrainBuild() {}

  /** @return {@code target/kiln/metrics.json} for a work folder */
  public static Path metricsFile(Path workDir) {
    return workDir.resolve("metrics.json");
  }

  /** @return the file the javadoc summary of the generated class is kept in */
  public static Path summaryFile(Path workDir) {
    return workDir.resolve("summary.txt");
  }

  /**
   * @param r the configuration
   * @param listener progress
   * @return what happened
   * @throws UserProblemException bad data or configuration, or the quality gate failed
   */
  public static Outcome run(Request r, ProgressListener listener) throws UserProblemException {
    String problem = dev.kiln.maven.codegen.LabelNames.checkClassName(r.className());
    if (problem != null) {
      throw new UserProblemException(problem + " (setting <className>, property kiln.className)");
    }
    Mode mode = parse(() -> Mode.parse(r.mode()), "mode (kiln.mode)");
    LearningRateSchedule schedule = parse(() -> LearningRateSchedule.parse(r.schedule()),
        "learningRateSchedule (kiln.learningRateSchedule)");
    dev.kiln.runtime.image.Augmentation augmentation = parse(
        () -> dev.kiln.runtime.image.Augmentation.parse(r.augmentation()),
        "augmentation (kiln.augmentation)");
    org.deeplearning4j.nn.conf.layers.PoolingType pooling = parse(() -> switch (
        r.pooling() == null ? "avg" : r.pooling().trim().toLowerCase(Locale.ROOT)) {
          case "avg", "average" -> org.deeplearning4j.nn.conf.layers.PoolingType.AVG;
          case "max" -> org.deeplearning4j.nn.conf.layers.PoolingType.MAX;
          default -> throw new IllegalArgumentException("unknown pooling '" + r.pooling()
              + "'; valid: avg, max");
        }, "pooling (kiln.pooling)");
    Preprocessing.Resize resize = parse(() -> Preprocessing.Resize.valueOf(
        r.resize().trim().toUpperCase(Locale.ROOT).replace('-', '_')),
        "resize (kiln.resize); valid: stretch, center-crop");
    Dataset data = parse(() -> {
      try {
        return DatasetScanner.scan(new DatasetScanner.Request(r.images(), r.includes(),
            r.excludes(), r.validationSplit(), r.seed()));
      } catch (UserProblemException e) {
        throw new WrappedProblem(e);
      }
    }, "validationSplit (kiln.validationSplit)");
    Path backboneFile = BackboneResolver.file(r.backbone(), r.baseDir(), r.backboneSource(),
        line -> listener.phase("backbone", line));
    Map<String, Path> files = new LinkedHashMap<>();
    for (LabelledImage i : data.train()) {
      files.put("train:" + i.relativePath(), i.file());
    }
    for (LabelledImage i : data.validation()) {
      files.put("val:" + i.relativePath(), i.file());
    }
    Map<String, String> config = new LinkedHashMap<>();
    config.put("mode", mode.id());
    config.put("featureLayer", String.valueOf(r.featureLayer()));
    config.put("resize", resize.name());
    config.put("pooling", pooling.name());
    config.put("hiddenUnits", Integer.toString(r.hiddenUnits()));
    config.put("inputSize", Integer.toString(r.inputSize()));
    config.put("epochs", Integer.toString(r.epochs()));
    config.put("batchSize", Integer.toString(r.batchSize()));
    config.put("learningRate", Double.toString(r.learningRate()));
    config.put("dropout", Double.toString(r.dropout()));
    config.put("weightDecay", Double.toString(r.weightDecay()));
    config.put("patience", Integer.toString(r.patience()));
    config.put("seed", Long.toString(r.seed()));
    config.put("failOnBadImages", Boolean.toString(r.failOnBadImages()));
    config.put("className", r.className());
    config.put("labelSmoothing", Double.toString(r.labelSmoothing()));
    config.put("balanceClasses", Boolean.toString(r.balanceClasses()));
    config.put("augmentedCopies", Integer.toString(r.augmentedCopies()));
    config.put("augmentation", augmentation.toSpec());
    config.put("schedule", schedule.id());
    config.put("fineTuneBlocks", Integer.toString(r.fineTuneBlocks()));
    dev.kiln.maven.fingerprint.FileHashes hashes = dev.kiln.maven.fingerprint.FileHashes.load(
        r.workDir().resolve("file-hashes.tsv"));
    String fingerprint = Fingerprint.of(files, config, backboneFile, r.pluginVersion(), hashes);
    hashes.save();
    listener.debug("fingerprint: " + hashes.read() + " files read, " + hashes.remembered()
        + " unchanged (size and time) and not read");

    Path model = r.classesDir().resolve(ClassifierGenerator.modelResource(r.className()));
    Path kept = r.workDir().resolve("model.onnx");
    Path fingerprintFile = r.workDir().resolve("fingerprint");
    Path report = r.workDir().resolve("report.html");
    try {
      if (!r.force() && Files.isRegularFile(kept) && Files.isRegularFile(fingerprintFile)) {
        List<String> lines = Files.readAllLines(fingerprintFile);
        if (lines.size() >= 2 && lines.get(0).equals(fingerprint)) {
          double accuracy = Double.parseDouble(lines.get(1));
          gate(accuracy, r.minAccuracy(), report);
          if (!Files.isRegularFile(model) || Files.size(model) != Files.size(kept)) {
            AtomicFiles.write(model, Files.readAllBytes(kept));
          }
          listener.phase("up-to-date", "model is up to date (fingerprint " + fingerprint.substring(0, 12)
              + "): nothing changed in the images, configuration, backbone or plugin; reusing "
              + kept + " (use -Dkiln.force to retrain)");
          return new Outcome(true, model, accuracy, report, data.labels());
        }
      }
    } catch (IOException | NumberFormatException e) {
      listener.debug("previous fingerprint unreadable, retraining: " + e.getMessage());
    }

    Backbone backbone = parse(() -> {
      try {
        return BackboneResolver.resolve(backboneFile, r.inputSize()).withPooling(pooling)
            .withHiddenUnits(r.hiddenUnits());
      } catch (UserProblemException e) {
        throw new WrappedProblem(e);
      }
    }, "hiddenUnits (kiln.hiddenUnits)");
    TrainingRequest request = parse(() -> new TrainingRequest(data, backbone, mode,
        blankToNull(r.featureLayer()), resize, r.epochs(), r.batchSize(), r.learningRate(),
        r.dropout(), r.weightDecay(), r.patience(), r.seed(), r.failOnBadImages(), r.device(),
        r.labelSmoothing(), r.balanceClasses(), r.cacheDir(),
        r.augmentedCopies() > 0 ? augmentation : null,
        r.augmentedCopies(), schedule, r.fineTuneBlocks()),
        "training configuration");
    TrainingResult result = Trainer.train(request, listener);
    double accuracy = result.validation().accuracy();
    try {
      AtomicFiles.write(report, ReportWriter.html(r.className(), result, data.root()));
      AtomicFiles.write(metricsFile(r.workDir()), metricsJson(result, fingerprint, data));
      gate(accuracy, r.minAccuracy(), report);
      if (r.maxAccuracyDrop() >= 0 && Files.isRegularFile(kept)) {
        regressionGate(r, kept, data, result, listener);
      }
      AtomicFiles.write(kept, result.onnx());
      AtomicFiles.write(model, result.onnx());
      AtomicFiles.write(summaryFile(r.workDir()), summary(result));
      AtomicFiles.write(fingerprintFile, fingerprint + "\n" + accuracy + "\n");
    } catch (IOException e) {
      throw new IllegalStateException("cannot write Kiln outputs: " + e.getMessage(), e);
    }
    return new Outcome(false, model, accuracy, report, data.labels());
  }

  /**
   * After a training, rewrites the generated class's source (when {@code generate} made one)
   * with the new metrics in its javadoc. The class was compiled before training; javadoc does not
   * change its bytecode, so the source just catches up for IDEs, javadoc and source jars.
   *
   * @param workDir Kiln's work folder (holds the summary)
   * @param className the generated class
   * @param labels labels in model order
   * @param generatedSources the generated-sources root of {@code generate}
   * @return true when the source was rewritten
   * @throws UserProblemException when the class name is invalid
   */
  public static boolean refreshGeneratedClass(Path workDir, String className, List<String> labels,
      Path generatedSources) throws UserProblemException {
    Path source = generatedSources.resolve(className.replace('.', '/') + ".java");
    if (!Files.isRegularFile(source) || !Files.isRegularFile(summaryFile(workDir))) {
      return false;
    }
    try {
      String summary = Files.readString(summaryFile(workDir)).strip();
      long before = Files.getLastModifiedTime(source).toMillis();
      ClassifierGenerator.generate(new ClassifierGenerator.Request(className, labels, summary,
          generatedSources));
      return Files.getLastModifiedTime(source).toMillis() != before;
    } catch (IOException e) {
      return false;
    }
  }

  private static void regressionGate(Request r, Path kept, Dataset data, TrainingResult result,
      ProgressListener listener) throws UserProblemException {
    java.util.Set<String> skipped = new java.util.HashSet<>();
    result.skipped().forEach(s -> skipped.add(s.relativePath()));
    List<LabelledImage> measured = data.validation().stream()
        .filter(i -> !skipped.contains(i.relativePath())).toList();
    RegressionGate.Comparison previous = RegressionGate.previousAccuracy(kept, data.labels(),
        measured);
    double accuracy = result.validation().accuracy();
    if (previous == null) {
      listener.phase("accuracy-drop", "the previous model has other labels (or is unreadable):"
          + " no comparison");
      return;
    }
    listener.phase("accuracy-drop", String.format(Locale.ROOT, "on the same %d validation"
        + " photos: previous model %.1f%%, new model %.1f%% (maxAccuracyDrop %.3f)",
        previous.images(), previous.accuracy() * 100, accuracy * 100, r.maxAccuracyDrop()));
    if (accuracy < previous.accuracy() - r.maxAccuracyDrop() - 1e-9) {
      throw new UserProblemException(String.format(Locale.ROOT, "validation accuracy dropped from"
          + " %.1f%% (the previous model, on the same %d photos) to %.1f%%, more than"
          + " maxAccuracyDrop %.3f; the previous model is kept. Undo the change that caused it,"
          + " or accept the drop with a larger maxAccuracyDrop (kiln.maxAccuracyDrop)",
          previous.accuracy() * 100, previous.images(), accuracy * 100, r.maxAccuracyDrop()));
    }
  }

  private static void gate(double accuracy, double min, Path report) throws UserProblemException {
    if (accuracy < min) {
      throw new UserProblemException(String.format(Locale.ROOT,
          "validation accuracy %.4f is below minAccuracy %.4f; the previous model (if any) is"
              + " kept. See %s for the confusion matrix and worst images; add or clean images,"
              + " train longer, or lower minAccuracy (kiln.minAccuracy)", accuracy, min, report));
    }
  }

  static String summary(TrainingResult result) {
    return String.format(Locale.ROOT, "Validation accuracy %.1f%% on %d images (best epoch %d)."
            + "%nBackbone: %s, mode %s. Trained %s.",
        result.validation().accuracy() * 100, result.validation().images(), result.bestEpoch(),
        result.metadata().training().get("backbone"), result.metadata().training().get("mode"),
        result.metadata().training().get("date"));
  }

  static String metricsJson(TrainingResult result, String fingerprint, Dataset data) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("accuracy", result.validation().accuracy());
    m.put("labels", data.labels());
    m.put("validation", result.validation());
    m.put("bestEpoch", result.bestEpoch());
    m.put("history", result.history());
    m.put("skipped", result.skipped());
    m.put("parity", result.parity());
    m.put("timings", result.timings());
    m.put("training", result.metadata().training());
    m.put("fingerprint", fingerprint);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** Carries a checked problem through a lambda. */
  private static final class WrappedProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    WrappedProblem(UserProblemException e) {
      super(e);
    }
  }

  private static <T> T parse(java.util.function.Supplier<T> s, String setting)
      throws UserProblemException {
    try {
      return s.get();
    } catch (WrappedProblem e) {
      throw (UserProblemException) e.getCause();
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("invalid " + setting + ": " + e.getMessage(), e);
    }
  }
}
