package dev.kiln.maven.goal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The train goal's steps, each on its own and without Maven: inputs (scan, backbone,
 * fingerprint), the up-to-date check, training, outputs and gates; then the whole goal twice.
 */
class TrainGoalStepsTest {

  @TempDir
  static Path project;

  static TrainConfiguration.Builder config() {
    return TrainConfiguration.builder().baseDir(project).images(project.resolve("images"))
        .className("com.acme.Insects").inputSize(128).validationSplit(0.3).device("CPU")
        .backbone(Fixtures.mobilenetH5().toString()).cacheDir(project.resolve("cache"))
        .mode("feature-extractor"); // the goal's steps are under test, not auto's choice
  }

  @BeforeAll
  static void photos() throws Exception {
    dev.kiln.maven.TestData.copyHymenoptera(project.resolve("images"), 10);
  }

  @Test
  void inputsFingerprintWhatCanChangeTheModelOnly() throws Exception {
    TrainInputs a = TrainInputs.resolve(config().build(), ProgressListener.NONE);
    assertEquals(List.of("ants", "bees"), a.dataset().labels());
    assertEquals(Fixtures.mobilenetH5(), a.backboneFile());
    assertEquals(a.fingerprint(), TrainInputs.resolve(config().minAccuracy(0.5).force(true)
        .build(), ProgressListener.NONE).fingerprint());
    assertNotEquals(a.fingerprint(), TrainInputs.resolve(config().estimateFolds(3).build(),
        ProgressListener.NONE).fingerprint());
  }

  @Test
  void upToDateCheckReusesOnlyAnUnchangedModelAndRebundlesIt() throws Exception {
    TrainConfiguration c = config().workDir(project.resolve("utd"))
        .classesDir(project.resolve("utd-classes")).build();
    TrainInputs inputs = TrainInputs.resolve(c, ProgressListener.NONE);
    TrainOutputs out = new TrainOutputs(c);
    assertNull(UpToDateCheck.reuse(c, inputs, out, ProgressListener.NONE), "nothing kept yet");
    Files.createDirectories(out.kept.getParent());
    Files.write(out.kept, new byte[] {1, 2, 3});
    String sha = TrainOutputs.sha256(new byte[] {1, 2, 3});
    Files.writeString(out.fingerprintFile, inputs.fingerprint() + "\n0.875\n87.5% (95% interval"
        + " 80.0-92.0%, 20 photos)\n" + sha + "\n");
    Files.writeString(out.metrics, "{\"modelSha256\": \"" + "0".repeat(64) + "\"}");
    assertNull(UpToDateCheck.reuse(c, inputs, out, ProgressListener.NONE),
        "metrics.json of another model (a build killed between the writes): retrain");
    Files.writeString(out.metrics, "{\"modelSha256\": \"" + sha + "\"}");
    Files.createDirectories(out.model.getParent());
    Files.write(out.model, new byte[] {1, 2, 4}); // same size, other content
    TrainGoal.Outcome reused = UpToDateCheck.reuse(c, inputs, out, ProgressListener.NONE);
    assertNotNull(reused);
    assertTrue(reused.upToDate());
    assertEquals(0.875, reused.accuracy());
    assertTrue(reused.line().contains("87.5% (95% interval"), reused.line());
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(out.model),
        "re-bundled: compared by content, not size");
    TrainConfiguration forced = config().workDir(project.resolve("utd"))
        .classesDir(project.resolve("utd-classes")).force(true).build();
    assertNull(UpToDateCheck.reuse(forced, inputs, out, ProgressListener.NONE));
    TrainConfiguration strict = config().workDir(project.resolve("utd"))
        .classesDir(project.resolve("utd-classes")).minAccuracy(0.9).build();
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> UpToDateCheck.reuse(strict, inputs, out, ProgressListener.NONE));
    assertTrue(e.getMessage().contains("below minAccuracy 0.9000"), e.getMessage());
  }

  @Test
  void retrainingSaysWhatChangedSinceTheKeptModel() throws Exception {
    TrainConfiguration c = config().workDir(project.resolve("why"))
        .classesDir(project.resolve("why-classes")).build();
    TrainInputs before = TrainInputs.resolve(c, ProgressListener.NONE);
    TrainOutputs out = new TrainOutputs(c);
    Files.createDirectories(out.kept.getParent());
    Files.write(out.kept, new byte[] {1});
    Files.writeString(out.fingerprintFile, before.fingerprint() + "\n0.9\n90%\n"
        + TrainOutputs.sha256(new byte[] {1}) + "\n");
    TrainConfiguration changed = config().workDir(project.resolve("why"))
        .classesDir(project.resolve("why-classes")).estimateFolds(3).build();
    TrainInputs after = TrainInputs.resolve(changed, ProgressListener.NONE);
    List<String> lines = new ArrayList<>();
    ProgressListener log = new ProgressListener() {
      @Override
      public void phase(String name, String detail) {
        lines.add(detail);
      }

      @Override
      public void epoch(dev.kiln.maven.train.EpochStats stats) {}
    };
    assertNull(UpToDateCheck.reuse(changed, after, out, log));
    assertTrue(lines.get(0).contains("(its build recorded no details)"), lines.toString());
    out.writeParts(before.parts());
    lines.clear();
    assertNull(UpToDateCheck.reuse(changed, after, out, log));
    assertEquals(List.of("retraining: settings changed: estimateFolds"), lines);
  }

  @Test
  void trainingOutputsAndGates() throws Exception {
    TrainConfiguration c = config().workDir(project.resolve("run"))
        .classesDir(project.resolve("run-classes")).build();
    TrainInputs inputs = TrainInputs.resolve(c, ProgressListener.NONE);
    List<String> phases = new ArrayList<>();
    TrainingResult result = ModelTraining.train(c, inputs, new ProgressListener() {
      @Override
      public void phase(String name, String detail) {
        phases.add(name);
      }

      @Override
      public void epoch(dev.kiln.maven.train.EpochStats stats) {}
    });
    assertTrue(phases.contains("estimate"), phases.toString());
    assertTrue(result.validationTrainedOn(), "automatic split: the head learns from every photo");
    assertEquals(20, result.estimate().photos());

    // issue 20: no val/ folder, so the head trained on every photo: the evaluation is the
    // out-of-fold predictions, each photo once, from the head fitted without its fold
    dev.kiln.maven.train.Evaluation e = result.validation();
    assertTrue(e.source().startsWith("out-of-fold predictions of"), e.source());
    assertEquals(20, e.images());
    assertEquals(result.estimate().accuracy(), e.accuracy(), 1e-12);
    assertEquals(20, java.util.Set.copyOf(e.photos()).size(), "each photo once");
    e.worst().forEach(m -> assertNotNull(m.fold(), "predicted by an out-of-fold head: " + m));

    TrainOutputs out = new TrainOutputs(c);
    GateRejection low = assertThrows(GateRejection.class, () -> QualityGates.check(
        config().minAccuracy(1).build(), out, inputs.dataset(), result, ProgressListener.NONE));
    assertTrue(low.getMessage().contains("estimated accuracy") && low.getMessage()
        .contains("kiln.minAccuracy") && low.getMessage().contains("report-rejected.html"),
        low.getMessage());
    assertEquals("minAccuracy", low.gate());
    out.writeRejected("com.acme.Insects", result, inputs.dataset(), inputs.fingerprint(),
        low.verdict(), dev.kiln.maven.report.ReportWriter.Extras.NONE);
    String rejected = Files.readString(out.rejectedReport);
    assertTrue(rejected.contains("expected accuracy on new photos"));
    int top = rejected.indexOf("<p class=\"rejected\" id=\"rejected\">Rejected by the"
        + " minAccuracy gate: the estimated accuracy on new photos, ");
    assertTrue(top > 0 && top < rejected.indexOf("<h1>"), "the verdict opens the page");
    assertTrue(rejected.contains("is below minAccuracy 100.0%"), "the threshold");
    assertTrue(rejected.contains(String.format(java.util.Locale.ROOT, "%.1f%%",
        result.estimate().accuracy() * 100)), "the figure");
    assertTrue(Files.readString(out.rejectedMetrics).contains("\"rejected\" : \"Rejected by the"
        + " minAccuracy gate"));
    assertFalse(Files.exists(out.report) || Files.exists(out.metrics) || Files.exists(out.model),
        "a rejected model's report never stands where the accepted model's does");

    QualityGates.check(c, out, inputs.dataset(), result, ProgressListener.NONE);
    out.writeAccepted("com.acme.Insects", result, inputs.dataset(), inputs.fingerprint(),
        ChangesSinceLastModel.record(inputs, result), dev.kiln.maven.report.ReportWriter.Extras.NONE);
    String metrics = Files.readString(out.metrics);
    assertTrue(metrics.contains("\"estimate\" : {") && metrics.contains("\"method\" : \"nested"),
        metrics);
    com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(metrics);
    assertFalse(json.has("accuracy"), "no top-level accuracy: it was a trained-on 1.0");
    assertFalse(json.has("rejected"));
    assertTrue(json.get("evaluation").get("source").asText().startsWith("out-of-fold"));
    assertEquals(json.get("estimate").get("accuracy").asDouble(),
        json.get("evaluation").get("accuracy").asDouble(), 1e-12);
    assertTrue(json.get("training").get("estimate").isObject(), "JSON, not a string of JSON");
    List<String> embedded = new ArrayList<>();
    new Object() {
      void walk(String path, com.fasterxml.jackson.databind.JsonNode n) {
        if (n.isTextual() && (n.asText().startsWith("{") || n.asText().startsWith("["))) {
          embedded.add(path);
        }
        n.fields().forEachRemaining(f -> walk(path + "." + f.getKey(), f.getValue()));
        for (int i = 0; n.isArray() && i < n.size(); i++) {
          walk(path + "[" + i + "]", n.get(i));
        }
      }
    }.walk("", json);
    assertEquals(List.of(), embedded, "JSON stored as strings inside metrics.json");
    String report = Files.readString(out.report);
    assertFalse(report.contains("id=\"rejected\""), "an accepted model's report is no rejection");
    assertTrue(report.contains("come from out-of-fold predictions of"), "the report says the"
        + " figures' source");
    // issue 23: the learning curve and what more photos would give, beside the estimate
    assertTrue(phases.contains("learning-curve"), phases.toString());
    assertEquals(4, json.get("learningCurve").get("points").size());
    assertEquals(result.estimate().accuracy(), json.get("learningCurve").get("points").get(3)
        .get("accuracy").asDouble(), 1e-12, "the full-size point is the estimate's predictions");
    assertTrue(json.get("learningCurve").get("fit").has("b"));
    JsonNodeCheck.projections(json.get("moreData"), List.of("ants", "bees"));
    assertTrue(report.contains("<h2>More photos?</h2>") && report.contains("id=\"curve-more-data\""),
        "the report plots the curve");
    assertFalse(Files.exists(out.rejectedReport), "the accepted set replaces a rejected report");
    assertTrue(out.consistent(out.previous()));
    assertArrayEquals(result.onnx(), Files.readAllBytes(out.model));
    assertArrayEquals(result.onnx(), Files.readAllBytes(out.kept));
    assertEquals(result.estimate().accuracy(),
        QualityGates.recordedEstimate(out.kept, inputs.dataset().labels()), 1e-12,
        "the model records its estimate for the next build's accuracy-drop gate");
    assertTrue(Files.readString(out.summary).startsWith("Estimated accuracy on new photos"));
    assertEquals(inputs.fingerprint(), Files.readAllLines(out.fingerprintFile).get(0));
  }

  /** Checks of metrics.json's {@code moreData}. */
  static final class JsonNodeCheck {
    static void projections(com.fasterxml.jackson.databind.JsonNode more, List<String> labels) {
      assertEquals(3, more.size(), "every photo, 2x, 4x");
      double last = -1;
      for (int i = 0; i < 3; i++) {
        com.fasterxml.jackson.databind.JsonNode p = more.get(i);
        assertEquals(new int[] {1, 2, 4}[i], p.get("factor").asInt());
        double a = p.get("accuracy").asDouble();
        assertTrue(p.get("low").asDouble() <= a && a <= p.get("high").asDouble(), p.toString());
        assertTrue(a >= last, "more photos never promise less: " + more);
        last = a;
        for (String l : labels) {
          assertTrue(p.get("perLabel").has(l), p.toString());
        }
      }
    }
  }

  /**
   * Issue 20: without val/ the shipped models trained on every photo, so the int8 check cannot
   * rest on photos they never saw: it says so, and reports how often both give the same label.
   */
  @Test
  void withoutValTheQuantisationCheckSaysBothModelsTrainedOnItsPhotos() throws Exception {
    TrainConfiguration c = config().workDir(project.resolve("fp16"))
        .classesDir(project.resolve("fp16-classes")).quantize("fp16").build();
    TrainInputs inputs = TrainInputs.resolve(c, ProgressListener.NONE);
    TrainingResult result = ModelTraining.train(c, inputs, ProgressListener.NONE);
    TrainingResult.Quantized q = result.quantization();
    assertTrue(q.trainedOn());
    assertTrue(q.measuredOn().contains("which both models trained on") && q.measuredOn()
        .contains("not accuracy on new photos"), q.measuredOn());
    assertTrue(q.agreement() > 0.5 && q.agreement() <= 1, q.line());
    assertTrue(result.estimate().method().contains("model gives the float model's label to"),
        result.estimate().method());
    assertTrue(result.validation().source().startsWith("out-of-fold predictions"),
        "the report's figures stay out-of-fold: " + result.validation().source());
    com.fasterxml.jackson.databind.JsonNode facts = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(result.metadata().training().get("quantization_accuracy"));
    assertTrue(facts.get("trained_on").asBoolean(), facts.toString());
    assertEquals(q.agreement(), facts.get("agreement").asDouble(), 1e-6);
  }

  @Test
  void theWholeGoalTrainsOnceThenIsUpToDate() throws Exception {
    TrainConfiguration c = config().workDir(project.resolve("goal"))
        .classesDir(project.resolve("goal-classes")).build();
    // what a build killed in the middle of a write leaves in target/classes
    Path stale = project.resolve("goal-classes/com/acme/.Insects.onnx.k1.tmp");
    Files.createDirectories(stale.getParent());
    Files.write(stale, new byte[] {9});
    TrainGoal.Outcome first = TrainGoal.run(c, ProgressListener.NONE);
    assertFalse(Files.exists(stale), "stale temporaries are removed, never packaged");
    // a model rejected in between (say with a stricter gate) left its report and metrics
    TrainOutputs out = new TrainOutputs(c);
    Files.writeString(out.rejectedReport, "rejected");
    Files.writeString(out.rejectedMetrics, "{}");
    TrainGoal.Outcome second = TrainGoal.run(c, ProgressListener.NONE);
    assertFalse(Files.exists(out.rejectedReport) || Files.exists(out.rejectedMetrics),
        "the next successful build, even one reusing the kept model, removes them");
    assertFalse(first.upToDate());
    assertTrue(second.upToDate());
    assertEquals(first.accuracy(), second.accuracy());
    assertEquals(first.estimate(), second.estimate());
  }
}
