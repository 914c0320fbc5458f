package dev.kiln.maven.goal;

import dev.kiln.maven.files.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.maven.changes.BuildRecord;
import dev.kiln.maven.changes.ModelChanges;
import dev.kiln.maven.codegen.ClassifierGenerator;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.fingerprint.FileHashes;
import dev.kiln.maven.fingerprint.FingerprintParts;
import dev.kiln.maven.fingerprint.Hashes;
import dev.kiln.maven.head.LearningCurve;
import dev.kiln.maven.problem.UserProblemException;
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
 * The last step of the train goal: where its outputs live and how they are written. The outputs
 * of an accepted model form one set — kept model, bundled model, {@code metrics.json}, {@code
 * report.html}, the javadoc summary and, last, the fingerprint file (fingerprint, estimated
 * accuracy, the estimate's line, the model's SHA-256), which commits the set: a build killed
 * before it leaves a set the next build does not trust and retrains. A rejected model's report
 * and metrics go to {@code report-rejected.html} / {@code metrics-rejected.json} and never
 * replace the accepted set's. Temporary files of interrupted writes are removed first.
 */
final class TrainOutputs {

  final Path model;
  final Path kept;
  final Path fingerprintFile;
  final Path partsFile;
  final Path report;
  final Path metrics;
  final Path summary;
  final Path rejectedReport;
  final Path rejectedMetrics;
  final Path hashes;
  final Path predictions;

  TrainOutputs(TrainConfiguration c) {
    Path work = c.outputs().workDir();
    model = c.outputs().classesDir().resolve(ClassifierGenerator.modelResource(
        c.outputs().className()));
    kept = work.resolve("model.onnx");
    fingerprintFile = work.resolve("fingerprint");
    partsFile = work.resolve("fingerprint-parts.json");
    report = work.resolve("report.html");
    metrics = TrainGoal.metricsFile(work);
    summary = TrainGoal.summaryFile(work);
    rejectedReport = work.resolve("report-rejected.html");
    rejectedMetrics = work.resolve("metrics-rejected.json");
    hashes = TrainInputs.hashesFile(c);
    predictions = work.resolve(BuildRecord.FILE);
  }

  /** @return the temporary files of interrupted writes, removed (never packaged, never read) */
  List<Path> removeStale() {
    List<Path> removed = new java.util.ArrayList<>();
    for (Path p : List.of(model, kept, fingerprintFile, partsFile, report, metrics, summary,
        rejectedReport, rejectedMetrics, predictions)) {
      removed.addAll(AtomicFiles.removeStale(p));
    }
    removed.addAll(FileHashes.removeStale(hashes));
    return removed;
  }

  /**
   * A model that failed a gate: its report and metrics beside, not over, the accepted ones.
   *
   * @param verdict which gate refused it, with the figure and the threshold (the report's top
   *     line and {@code metrics-rejected.json}'s {@code rejected})
   */
  void writeRejected(String className, TrainingResult result, Dataset data, String fingerprint,
      String verdict, ReportWriter.Extras extras) throws UserProblemException {
    try {
      AtomicFiles.write(rejectedReport, ReportWriter.html(className, result, data.root(),
          verdict, extras));
      AtomicFiles.write(rejectedMetrics, metricsJson(result, fingerprint, data, verdict,
          extras.changes()));
    } catch (IOException e) {
      throw new UserProblemException("cannot write Kiln's report: " + e.getMessage(), e);
    }
  }

  /**
   * The accepted model's fingerprint parts, for the next build's "retraining: …" line. Written
   * before the set; trusted only when their hash is the fingerprint file's.
   */
  void writeParts(FingerprintParts parts) {
    try {
      AtomicFiles.write(partsFile, parts.toJson());
    } catch (IOException e) {
      throw new IllegalStateException("cannot write Kiln outputs: " + e.getMessage(), e);
    }
  }

  /** @return the kept model's fingerprint parts, or null when none match {@code fingerprint} */
  FingerprintParts previousParts(String fingerprint) {
    FingerprintParts p = FingerprintParts.read(partsFile);
    return p != null && p.hash().equals(fingerprint) ? p : null;
  }

  /**
   * The accepted model and everything that describes it; the fingerprint file last.
   *
   * @param record this build's photos and honest predictions, for the next build's comparison
   * @param extras what the report shows beside the result (changes, activation maps)
   */
  void writeAccepted(String className, TrainingResult result, Dataset data, String fingerprint,
      BuildRecord record, ReportWriter.Extras extras) throws UserProblemException {
    try {
      AtomicFiles.write(kept, result.onnx());
      AtomicFiles.write(model, result.onnx());
      AtomicFiles.write(metrics, metricsJson(result, fingerprint, data, null, extras.changes()));
      AtomicFiles.write(report, ReportWriter.html(className, result, data.root(), null, extras));
      AtomicFiles.write(predictions, record.toJson());
      AtomicFiles.write(summary, summary(result));
      removeRejected();
      AtomicFiles.write(fingerprintFile, fingerprint + "\n" + result.estimate().accuracy() + "\n"
          + result.estimate().line() + "\n" + sha256(result.onnx()) + "\n");
    } catch (IOException e) {
      // the message names the file and says when the disk is full (AtomicFiles); without the
      // fingerprint file, written last, the next build retrains
      throw new UserProblemException("cannot write Kiln outputs: " + e.getMessage(), e);
    }
  }

  /**
   * Removes a rejected model's report and metrics: a successful build (a new model accepted, or
   * the kept one reused) leaves none behind.
   */
  void removeRejected() throws IOException {
    Files.deleteIfExists(rejectedReport);
    Files.deleteIfExists(rejectedMetrics);
  }

  /**
   * @return true when the kept model, its metrics and the fingerprint file's record agree (the
   *     last build's set was written whole)
   */
  boolean consistent(List<String> lines) throws IOException {
    if (lines.size() < 4 || !Files.isRegularFile(metrics)) {
      return false;
    }
    String sha = lines.get(3);
    return sha.equals(sha256(Files.readAllBytes(kept)))
        && sha.equals(new ObjectMapper().readTree(metrics.toFile()).path("modelSha256").asText());
  }

  /**
   * @return the kept model's build record, or null when there is no kept model or its build kept
   *     no record of this model (a first build, an older Kiln, an interrupted write)
   */
  BuildRecord previousRecord() {
    try {
      List<String> lines = previous();
      BuildRecord r = lines.size() < 4 ? null : BuildRecord.read(predictions);
      return r != null && r.modelSha256().equals(lines.get(3)) ? r : null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Re-bundles the kept model when the resource is missing or its content differs.
   *
   * @param keptSha256 the kept model's SHA-256, already checked by {@link #consistent}
   */
  void restoreModel(String keptSha256) throws IOException {
    if (!Files.isRegularFile(model) || !keptSha256.equals(sha256(Files.readAllBytes(model)))) {
      AtomicFiles.write(model, Files.readAllBytes(kept));
    }
  }

  /**
   * @return the previous build's fingerprint lines (fingerprint, accuracy, estimate line, model
   *     SHA-256), or an empty list when there is no kept model
   */
  List<String> previous() throws IOException {
    if (!Files.isRegularFile(kept) || !Files.isRegularFile(fingerprintFile)) {
      return List.of();
    }
    return Files.readAllLines(fingerprintFile);
  }

  /**
   * @return the model's training facts, those stored as JSON text in the model's metadata
   *     (estimate, metrics, quantization_accuracy) parsed, so that metrics.json holds them as
   *     JSON objects
   */
  static Map<String, Object> training(Map<String, String> facts) {
    ObjectMapper json = new ObjectMapper();
    Map<String, Object> out = new LinkedHashMap<>();
    facts.forEach((key, value) -> {
      Object v = value;
      if (value.startsWith("{") || value.startsWith("[")) {
        try {
          v = json.readTree(value);
        } catch (IOException e) {
          v = value; // not JSON after all: kept as text
        }
      }
      out.put(key, v);
    });
    return out;
  }

  /**
   * @return {@code learningCurve} (the measured points, the fit, how) and {@code moreData} (the
   *     accuracy the curve projects for every photo, 2x and 4x the photos, per label by name)
   */
  /**
   * @return auto's leaderboard: name, estimate (accuracy and interval, null when not tried),
   *     seconds, chosen, note
   */
  static List<Map<String, Object>> candidates(List<TrainingResult.Candidate> board) {
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    for (TrainingResult.Candidate c : board) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", c.name());
      boolean tried = !Double.isNaN(c.accuracy());
      m.put("estimate", tried ? Map.of("accuracy", c.accuracy(), "low", c.low(), "high",
          c.high(), "photos", c.photos()) : null);
      m.put("seconds", tried ? Math.round(c.seconds() * 10) / 10.0 : null);
      m.put("chosen", c.chosen());
      m.put("note", c.note());
      out.add(m);
    }
    return out;
  }

  static Map<String, Object> learningCurve(LearningCurve.Result curve, List<String> labels) {
    List<Map<String, Object>> points = new java.util.ArrayList<>();
    for (LearningCurve.Point p : curve.points()) {
      Map<String, Object> point = new LinkedHashMap<>();
      point.put("fraction", p.fraction());
      point.put("photos", p.photos());
      point.put("accuracy", p.accuracy());
      point.put("perLabel", byLabel(p.perLabel(), labels));
      points.add(point);
    }
    Map<String, Object> lc = new LinkedHashMap<>();
    lc.put("points", points);
    lc.put("fit", curve.fit());
    lc.put("gain", curve.gain());
    lc.put("method", curve.method());
    List<Map<String, Object>> more = new java.util.ArrayList<>();
    for (LearningCurve.Projection p : curve.projections()) {
      Map<String, Object> at = new LinkedHashMap<>();
      at.put("factor", p.factor());
      at.put("photos", p.photos());
      at.put("accuracy", p.accuracy());
      at.put("low", p.low());
      at.put("high", p.high());
      at.put("perLabel", byLabel(p.perLabel(), labels));
      more.add(at);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("learningCurve", lc);
    out.put("moreData", more);
    return out;
  }

  private static Map<String, Double> byLabel(double[] values, List<String> labels) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < values.length; i++) {
      m.put(labels.get(i), values[i]);
    }
    return m;
  }

  static String sha256(byte[] bytes) {
    java.security.MessageDigest d = Hashes.sha256();
    d.update(bytes);
    return Hashes.hex(d);
  }

  static String summary(TrainingResult result) {
    String date = result.metadata().training().get("date");
    return String.format(Locale.ROOT, "Estimated accuracy on new photos %s."
            + "%nBackbone: %s, mode %s.%s",
        result.estimate().line(), result.metadata().training().get("backbone"),
        result.metadata().training().get("mode"), date == null ? "" : " Trained " + date + ".");
  }

  /**
   * @param verdict for a rejected model, which gate refused it and why; null for an accepted one
   * @param changes what changed since the model this one replaces; null when none is compared
   * @return {@code metrics.json}: every figure from the estimate's photos (the evaluation is
   *     out-of-fold predictions or the held-out photos, never photos its head trained on); the
   *     model's {@code kiln.training.*} values that are JSON appear as JSON, not as strings
   */
  static String metricsJson(TrainingResult result, String fingerprint, Dataset data,
      String verdict, ModelChanges changes) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (verdict != null) {
      m.put("rejected", verdict);
    }
    m.put("modelSha256", sha256(result.onnx()));
    m.put("estimate", result.estimate());
    m.put("validationTrainedOn", result.validationTrainedOn());
    m.put("labels", data.labels());
    m.put("evaluation", result.validation());
    if (result.suspects() != null) {
      m.put("suspectedMislabels", result.suspects());
    }
    if (result.unusual() != null) {
      m.put("unusualPhotos", result.unusual());
    }
    if (changes != null) {
      m.put("changes", changes);
    }
    if (result.learningCurve() != null) {
      m.putAll(learningCurve(result.learningCurve(), data.labels()));
    }
    if (result.candidates() != null) {
      m.put("candidates", candidates(result.candidates()));
    }
    if (result.head() != null) {
      m.put("head", result.head());
    }
    if (result.quantization() != null) {
      m.put("quantization", result.quantization());
    }
    m.put("bestEpoch", result.bestEpoch());
    m.put("history", result.history());
    m.put("skipped", result.skipped());
    m.put("parity", result.parity());
    m.put("timings", result.timings());
    m.put("training", training(result.metadata().training()));
    m.put("fingerprint", fingerprint);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
