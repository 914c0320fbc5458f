package dev.kiln.maven.train;

import dev.kiln.maven.backbone.OnnxArchitecture;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.maven.head.AccuracyEstimate;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.suspects.SuspectedLabel;
import dev.kiln.maven.text.Count;
import dev.kiln.runtime.KilnException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.learning.config.Adam;

/**
 * What follows training, in order: the whole network assembled, exported to ONNX and checked
 * against the trained network (parity), quantised when asked, evaluated on photos its predicting
 * head never trained on, and the estimate measured and written into the model.
 */
final class Packaging {

  /** Suspects named in the log line. */
  static final int SUSPECTS_LOGGED = 3;

  private Packaging() {}

  /**
   * @param run the run (photos, backbone, settings, progress)
   * @param plan the mode and why
   * @param trained what the stages trained
   * @return the shipped model and its metrics
   */
  static TrainingResult ship(TrainingRun whole, Plan plan, Trained trained)
      throws KilnException, UserProblemException {
    TrainingRun run = trained.variant() != null ? trained.variant() : whole;
    ProgressListener listener = run.listener();
    FeatureSource.Features val = trained.val();
    ComputationGraph full = assemble(run, trained);
    listener.phase("export", "network to ONNX, parity check on "
        + val.images().size() + " validation images");
    long t1 = System.nanoTime();
    ModelExport.Exported exported = ModelExport.export(run, plan, full, trained.result(),
        trained.linear());
    ModelExport.Checked checked;
    boolean flip = run.settings().head().testTimeFlip();
    try (ModelExport.Reference reference = full != null ? ModelExport.Reference.of(full, flip)
        : ModelExport.Reference.of(exported, run.backbone(), trained.result().graph(), flip,
            run.settings().run().device())) {
      checked = ModelExport.check(reference, exported, val, run.raw(), run.backbone(),
          run.pool(), run.photos());
    }
    run.photos().requireUnchanged();
    long exportMillis = (System.nanoTime() - t1) / 1_000_000;
    if (!checked.parity().passed(ParityChecker.TOLERANCE)) {
      throw new IllegalStateException("the exported ONNX model differs from the trained network"
          + " by " + checked.parity().maxAbsDiff() + " (limit " + ParityChecker.TOLERANCE
          + "); first diverging layer: " + checked.parity().divergingLayer());
    }
    ModelQuantization.Shipped shipped = ModelQuantization.apply(run, exported,
        checked.probabilities(), val, trained.validationTrainedOn());
    run.photos().requireUnchanged();
    exported = shipped.exported();
    float[][] probabilities = shipped.probabilities(); // the shipped model's
    // the estimate's photos, never one the predicting head trained on
    LinearHead.Selected linear = trained.linear();
    HonestEvaluation.Predictions honest = trained.validationTrainedOn()
        ? HonestEvaluation.outOfFold(linear)
        : HonestEvaluation.heldOut(trained.heldOut(), val.images(), probabilities);
    List<String> labels = run.data().labels();
    Evaluation evaluation = honest.evaluation(labels);
    boolean lookForSuspects = run.settings().outputs().suspects();
    List<SuspectedLabel> suspects = lookForSuspects ? honest.suspects(labels) : null;
    AccuracyEstimate estimate = estimate(trained, shipped, val, probabilities, flip);
    listener.phase("estimate", "accuracy to expect on new photos: " + estimate.line()
        + "; " + estimate.method());
    if (suspects != null) {
      listener.phase("suspects", suspectsLine(suspects, evaluation,
          run.settings().outputs().workDir()));
    }
    if (lookForSuspects && trained.unusual() != null && !trained.unusual().isEmpty()) {
      listener.phase("unusual", unusualLine(trained.unusual(),
          run.settings().outputs().workDir()));
    }
    exported = ModelExport.withEstimate(exported, estimate);
    ModelExport.checkReadBack(exported);
    FitResult result = trained.result();
    return new TrainingResult(exported.onnx(), exported.metadata(), evaluation,
        result.history(), result.bestEpoch(), List.copyOf(run.skipped()), checked.parity(),
        run.times().timings(exportMillis), estimate,
        linear == null ? null : TrainingResult.HeadFit.of(linear.selection()),
        trained.validationTrainedOn(), shipped.info(), suspects,
        linear == null ? null : linear.curve(), trained.candidates(),
        lookForSuspects ? trained.unusual() : null);
  }

  /**
   * @return the whole network to export: the trained one, or the backbone with the trained
   *     head's layers when only the head trained; null for an ONNX backbone's head alone (the
   *     user's graph is stitched to it at export)
   */
  private static ComputationGraph assemble(TrainingRun run, Trained trained) {
    if (trained.full() != null
        || run.backbone().architecture() instanceof OnnxArchitecture) {
      return trained.full();
    }
    FitSettings s = FitSettings.of(run.settings());
    ComputationGraph full = run.backbone().classifierGraph(run.featureLayer(), run.classes(),
        s.dropout(), s.seed(), new Adam(s.learningRate()));
    Stages.copyParameters(trained.result().graph(), full); // the head's layers, by name
    return full;
  }

  /**
   * The nested cross-validation's estimate when the L-BFGS head made one, else the shipped
   * model's accuracy on the held-out photos; its method says which, and what the flip and the
   * number format add.
   */
  private static AccuracyEstimate estimate(Trained trained, ModelQuantization.Shipped shipped,
      FeatureSource.Features val, float[][] probabilities, boolean flip) {
    AccuracyEstimate nested = trained.linear() == null ? null
        : trained.linear().selection().estimate();
    AccuracyEstimate measured = nested != null ? nested
        : trained.heldOut().measure(val.images(), probabilities);
    String flipNote = !flip ? null
        : nested != null ? EstimateMethod.FLIP_OUT_OF_FOLD : EstimateMethod.FLIP_EXPORTED;
    String format = nested == null || shipped.info() == null ? null
        : EstimateMethod.quantized(shipped.info().kind(), shipped.info().agreement(),
            shipped.info().measuredOn());
    return measured.withMethod(new EstimateMethod(measured.method(), flipNote, format).text());
  }

  /**
   * @return the log line of the photos unlike the rest: how many, where the list is, the first
   *     few
   */
  static String unusualLine(List<dev.kiln.maven.suspects.UnusualPhoto> unusual, Path workDir) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%d photo%s unlike the rest"
            + " (far from their nearest photos in the backbone's features: a placeholder, a"
            + " screenshot, something none of the labels is about?); see %s (\"Unusual photos\")"
            + " or unusualPhotos in %s:", unusual.size(), unusual.size() == 1 ? " looks" : "s look",
        workDir.resolve("report.html"), workDir.resolve("metrics.json")));
    for (var u : unusual.subList(0, Math.min(SUSPECTS_LOGGED, unusual.size()))) {
      b.append(String.format(Locale.ROOT, " %s (%s);", u.path(), u.label()));
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }

  /**
   * @return the log line of the suspected wrong labels: how many, among which photos, where the
   *     list is, and the most suspicious few
   */
  static String suspectsLine(List<SuspectedLabel> suspects, Evaluation evaluation,
      Path workDir) {
    if (suspects.isEmpty()) {
      return "no photo's label looks wrong (confident learning on " + evaluation.images()
          + " photos the predicting head never trained on)";
    }
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%d of %d photos may have"
            + " the wrong label (confident learning on predictions by heads that never trained on"
            + " them); check them in %s (\"Suspected wrong labels\") or suspectedMislabels in"
            + " %s; most suspicious:", suspects.size(), evaluation.images(),
        workDir.resolve("report.html"), workDir.resolve("metrics.json")));
    for (SuspectedLabel s : suspects.subList(0, Math.min(SUSPECTS_LOGGED, suspects.size()))) {
      b.append(String.format(Locale.ROOT, " %s (%s, looks like %s: %.0f%%);", s.path(),
          s.label(), s.suggested(), s.confidence() * 100));
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }
}
