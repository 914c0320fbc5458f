package dev.kiln.maven.goal;

import dev.kiln.maven.files.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.maven.codegen.ClassifierGenerator;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.report.ReportWriter;
import dev.kiln.maven.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The last step of the train goal: where its outputs live and how they are written (each one
 * atomically): the bundled model resource, the kept copy, {@code report.html}, {@code
 * metrics.json}, the javadoc summary and the fingerprint file (fingerprint, estimated accuracy,
 * the estimate's line).
 */
final class TrainOutputs {

  final Path model;
  final Path kept;
  final Path fingerprintFile;
  final Path report;
  final Path metrics;
  final Path summary;

  TrainOutputs(TrainConfiguration c) {
    Path work = c.outputs().workDir();
    model = c.outputs().classesDir().resolve(ClassifierGenerator.modelResource(
        c.outputs().className()));
    kept = work.resolve("model.onnx");
    fingerprintFile = work.resolve("fingerprint");
    report = work.resolve("report.html");
    metrics = TrainGoal.metricsFile(work);
    summary = TrainGoal.summaryFile(work);
  }

  /** The report and metrics of a run (written before the gates, so a failed gate has them). */
  void writeReport(String className, TrainingResult result, Dataset data, String fingerprint) {
    try {
      AtomicFiles.write(report, ReportWriter.html(className, result, data.root()));
      AtomicFiles.write(metrics, metricsJson(result, fingerprint, data));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write Kiln's report: " + e.getMessage(), e);
    }
  }

  /** The model that passed the gates: kept copy, bundled resource, summary, fingerprint. */
  void writeModel(TrainingResult result, String fingerprint) {
    try {
      AtomicFiles.write(kept, result.onnx());
      AtomicFiles.write(model, result.onnx());
      AtomicFiles.write(summary, summary(result));
      AtomicFiles.write(fingerprintFile, fingerprint + "\n" + result.estimate().accuracy() + "\n"
          + result.estimate().line() + "\n");
    } catch (IOException e) {
      throw new IllegalStateException("cannot write Kiln outputs: " + e.getMessage(), e);
    }
  }

  /** Re-bundles the kept model when the resource is missing or differs in size. */
  void restoreModel() throws IOException {
    if (!Files.isRegularFile(model) || Files.size(model) != Files.size(kept)) {
      AtomicFiles.write(model, Files.readAllBytes(kept));
    }
  }

  /**
   * @return the previous build's fingerprint lines (fingerprint, accuracy, estimate line), or an
   *     empty list when there is no kept model
   */
  List<String> previous() throws IOException {
    if (!Files.isRegularFile(kept) || !Files.isRegularFile(fingerprintFile)) {
      return List.of();
    }
    return Files.readAllLines(fingerprintFile);
  }

  static String summary(TrainingResult result) {
    String date = result.metadata().training().get("date");
    return String.format(Locale.ROOT, "Estimated accuracy on new photos %s."
            + "%nBackbone: %s, mode %s.%s",
        result.estimate().line(), result.metadata().training().get("backbone"),
        result.metadata().training().get("mode"), date == null ? "" : " Trained " + date + ".");
  }

  static String metricsJson(TrainingResult result, String fingerprint, Dataset data) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimate", result.estimate());
    m.put("accuracy", result.validation().accuracy());
    m.put("validationTrainedOn", result.validationTrainedOn());
    m.put("labels", data.labels());
    m.put("validation", result.validation());
    if (result.head() != null) {
      m.put("head", result.head());
    }
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
}
