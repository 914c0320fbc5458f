package dev.kiln.maven.report;

import dev.kiln.maven.cam.ActivationMaps;
import dev.kiln.maven.changes.ModelChanges;
import dev.kiln.maven.head.AccuracyEstimate;
import dev.kiln.maven.head.LearningCurve;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.maven.suspects.SuspectedLabel;
import dev.kiln.maven.suspects.UnusualPhoto;
import dev.kiln.maven.train.EpochStats;
import dev.kiln.maven.train.Evaluation;
import dev.kiln.maven.train.SkippedImage;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.ImageDecoder;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * Renders the training report: a self-contained HTML page (no scripts, no external resources)
 * with the metrics, the confusion matrix, learning curves as inline SVG, per-label metrics,
 * skipped files, the worst-classified images and the photos whose label is probably wrong with
 * thumbnails, what changed since the last model and where the model looks (class activation
 * maps over the thumbnails).
 */
public final class ReportWriter {

  private ReportWriter() {}

  /**
   * What the report shows beside the training result.
   *
   * @param changes what changed since the model this one replaces; null when there is none to
   *     compare with (a first build)
   * @param maps the class activation maps of the worst and suspected photos, or why there are
   *     none; null when not drawn
   */
  public record Extras(ModelChanges changes, ActivationMaps maps) {
    /** Nothing beside the result. */
    public static final Extras NONE = new Extras(null, null);
  }

  /**
   * @param title page title (the class name)
   * @param result the training run
   * @param datasetRoot folder the evaluation's relative paths resolve against (thumbnails)
   * @return the HTML page of an accepted model
   */
  public static String html(String title, TrainingResult result, Path datasetRoot) {
    return html(title, result, datasetRoot, null);
  }

  /**
   * @param title page title (the class name)
   * @param result the training run
   * @param datasetRoot folder the evaluation's relative paths resolve against (thumbnails)
   * @param rejected for a model a quality gate refused, the verdict (which gate, the figure and
   *     the threshold) the page opens with; null for an accepted model
   * @return the HTML page
   */
  public static String html(String title, TrainingResult result, Path datasetRoot,
      String rejected) {
    return html(title, result, datasetRoot, rejected, Extras.NONE);
  }

  /**
   * @param title page title (the class name)
   * @param result the training run
   * @param datasetRoot folder the evaluation's relative paths resolve against (thumbnails)
   * @param rejected for a model a quality gate refused, the verdict; null for an accepted model
   * @param extras what changed since the last model, the activation maps
   * @return the HTML page
   */
  public static String html(String title, TrainingResult result, Path datasetRoot,
      String rejected, Extras extras) {
    Evaluation e = result.validation();
    ActivationMaps maps = extras.maps();
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>Kiln report").append(rejected == null ? "" : " (rejected model)")
        .append(": ").append(esc(title)).append("</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}")
        .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;")
        .append("padding:.3em .6em;text-align:right}th{background:#f4f4f4}")
        .append(".cm td{min-width:3em;text-align:center}.big{font-size:2em;font-weight:bold}")
        .append(".source{color:#555;font-size:.9em}")
        .append(".rejected{background:#ffebe9;border:2px solid #cf222e;padding:.8em;")
        .append("font-weight:bold}")
        .append(".worst{display:flex;flex-wrap:wrap;gap:1em}.worst figure{margin:0;width:140px;")
        .append("font-size:.8em;overflow-wrap:anywhere}.worst img{width:128px;height:128px;object-fit:cover}")
        .append(".worst img.cam{display:block;margin-top:2px}.changes-list{font-size:.9em}")
        .append("</style></head><body>\n");
    if (rejected != null) {
      b.append("<p class=\"rejected\" id=\"rejected\">").append(esc(rejected))
          .append("</p>\n");
    }
    b.append("<h1>").append(esc(title)).append(rejected == null ? "" : " (rejected model)")
        .append("</h1>\n");
    AccuracyEstimate est = result.estimate();
    b.append("<p class=\"big\" id=\"estimate\">").append(pct(est.accuracy()))
        .append(" expected accuracy on new photos</p>\n");
    b.append("<p id=\"estimate-detail\">95&nbsp;% interval ").append(pct(est.low()))
        .append("–").append(pct(est.high())).append(", from ").append(est.photos())
        .append(" photos: ").append(esc(est.method())).append(".</p>\n");
    b.append("<h2>Which photos were used for what</h2>\n<p id=\"photos\">")
        .append(esc(photoUse(result))).append("</p>\n");
    b.append("<p id=\"evaluation-source\">The confusion matrix, the per-label table and the"
        + " worst photos below come from ").append(esc(e.source())).append(": ")
        .append(e.images()).append(" photos, ").append(pct(e.accuracy()))
        .append(" right. No photo appears there predicted by a head that trained on it.</p>\n");
    String backbone = result.metadata().training().getOrDefault("backbone", "");
    b.append("<p id=\"model\">Backbone ")
        .append(esc(backbone)).append("; mode ")
        .append(esc(result.metadata().training().getOrDefault("mode", ""))).append("; ")
        .append(result.history().isEmpty() ? "no epochs (L-BFGS head)"
            : "best epoch " + result.bestEpoch() + " of " + result.history().size())
        .append("; ONNX parity max abs diff ")
        .append(String.format(Locale.ROOT, "%.2e", result.parity().maxAbsDiff()))
        .append(".</p>\n");
    if (result.quantization() != null) {
      b.append("<p id=\"quantization\">").append(esc(result.quantization().line()))
          .append(".</p>\n");
    }
    String why = result.metadata().training().get("mode_reason");
    if (why != null) {
      b.append("<p id=\"mode-reason\">Mode ").append(esc(why)).append("</p>\n");
    }

    if (extras.changes() != null) {
      b.append(changes(extras.changes(), datasetRoot));
    }

    b.append("<h2>Confusion matrix</h2>\n").append(source(e))
        .append("<table class=\"cm\" id=\"confusion\"><tr><th>actual \\ predicted</th>");
    for (String l : e.labels()) {
      b.append("<th>").append(esc(l)).append("</th>");
    }
    b.append("</tr>\n");
    for (int i = 0; i < e.labels().size(); i++) {
      int row = 0;
      for (int v : e.confusion()[i]) {
        row += v;
      }
      b.append("<tr><th>").append(esc(e.labels().get(i))).append("</th>");
      for (int j = 0; j < e.labels().size(); j++) {
        int v = e.confusion()[i][j];
        double share = row == 0 ? 0 : v / (double) row;
        String colour = i == j
            ? String.format(Locale.ROOT, "rgba(46,160,67,%.2f)", 0.15 + 0.6 * share)
            : String.format(Locale.ROOT, "rgba(218,54,51,%.2f)", v == 0 ? 0 : 0.15 + 0.6 * share);
        b.append("<td style=\"background:").append(colour).append("\">").append(v).append("</td>");
      }
      b.append("</tr>\n");
    }
    b.append("</table>\n");

    if (result.candidates() != null) {
      b.append("<h2>Candidates (mode auto)</h2>\n<p>Each tried candidate's out-of-fold accuracy"
          + " on the same photos and folds; the one shipped is the cheapest whose shortfall"
          + " against the best is within one standard error of their paired difference.</p>\n"
          + "<table class=\"candidates\"><tr><th>candidate</th><th>accuracy</th>"
          + "<th>95% interval</th><th>seconds</th><th></th></tr>\n");
      for (var c : result.candidates()) {
        boolean tried = !Double.isNaN(c.accuracy());
        b.append(c.chosen() ? "<tr class=\"chosen\"><td><b>" : "<tr><td>")
            .append(esc(c.name())).append(c.chosen() ? "</b>" : "").append("</td><td>")
            .append(tried ? String.format(java.util.Locale.ROOT, "%.1f%%", c.accuracy() * 100)
                : "").append("</td><td>")
            .append(tried ? String.format(java.util.Locale.ROOT, "%.1f–%.1f%% (%d photos)",
                c.low() * 100, c.high() * 100, c.photos()) : "").append("</td><td>")
            .append(tried ? String.format(java.util.Locale.ROOT, "%.1f", c.seconds()) : "")
            .append("</td><td>").append(esc((c.chosen() ? "chosen: " : "") + c.note()))
            .append("</td></tr>\n");
      }
      b.append("</table>\n");
    }
    if (result.head() != null) {
      b.append("<h2>Choosing the head's L2 strength</h2>\n<p>").append(result.head().folds())
          .append("-fold cross-validation, strongest first; chosen ")
          .append(lambda(result.head().lambda())).append(" (")
          .append(result.head().fits()).append(" L-BFGS fits, ").append(result.head().millis())
          .append(" ms).</p>\n").append(strengthCurve(result.head().curve()));
    }
    if (result.learningCurve() != null) {
      b.append(moreData(result.learningCurve(), result.estimate(), e.labels()));
    }
    if (!result.history().isEmpty()) {
      b.append("<h2>Learning curves</h2>\n");
      b.append(curves("Loss", result.history(), EpochStats::trainLoss, EpochStats::valLoss,
          "loss"));
      b.append(curves("Accuracy", result.history(), EpochStats::trainAccuracy,
          EpochStats::valAccuracy, "accuracy"));
    }

    b.append("<h2>Per label</h2>\n").append(source(e))
        .append("<table id=\"labels\"><tr><th>label</th><th>precision</th>")
        .append("<th>recall</th><th>F1</th><th>images</th></tr>\n");
    for (Evaluation.LabelMetrics m : e.perLabel()) {
      b.append("<tr><th>").append(esc(m.label())).append("</th><td>").append(pct(m.precision()))
          .append("</td><td>").append(pct(m.recall())).append("</td><td>").append(pct(m.f1()))
          .append("</td><td>").append(m.support()).append("</td></tr>\n");
    }
    b.append("</table>\n");

    b.append("<h2>Worst classified</h2>\n").append(source(e))
        .append("<p>Highest loss first (the lowest probability for the true label): actual →"
            + " the label the model believed, with the probabilities it gave them")
        .append(e.worst().stream().anyMatch(m -> m.fold() != null) ? "; fold k: predicted by"
            + " the head fitted without fold k (folds numbered from 0, as in metrics.json)" : "").append(".</p>\n").append(mapsNote(maps)).append("<div class=\"worst\" id=\"worst\">\n");
    for (Evaluation.Mistake m : e.worst()) {
      b.append("<figure>").append(thumbnail(datasetRoot.resolve(m.image())))
          .append(overlay(maps, m.image())).append("<figcaption>").append(esc(m.image())).append("<br>").append(esc(m.actual()))
          .append(" → ").append(esc(m.predicted())).append(" (")
          .append(pct(m.probability())).append(" for ").append(esc(m.actual()));
      if (!m.actual().equals(m.predicted())) {
        b.append(", ").append(pct(m.predictedProbability())).append(" for ")
            .append(esc(m.predicted()));
      }
      b.append(m.fold() == null ? "" : "; fold " + m.fold())
          .append(")</figcaption></figure>\n");
    }
    b.append("</div>\n");

    if (result.suspects() != null) {
      b.append(suspects(result.suspects(), e, datasetRoot, maps));
    }
    if (result.unusual() != null) {
      b.append(unusual(result.unusual(), datasetRoot));
    }

    b.append("<h2>Skipped images</h2>\n");
    List<SkippedImage> skipped = result.skipped();
    if (skipped.isEmpty()) {
      b.append("<p id=\"skipped\">None.</p>\n");
    } else {
      b.append("<table id=\"skipped\"><tr><th>image</th><th>reason</th></tr>\n");
      for (SkippedImage s : skipped) {
        b.append("<tr><td style=\"text-align:left\">").append(esc(s.relativePath()))
            .append("</td><td style=\"text-align:left\">").append(esc(s.reason()))
            .append("</td></tr>\n");
      }
      b.append("</table>\n");
    }
    TrainingResult.Timings t = result.timings();
    b.append("<h2>Timings</h2>\n<p>decode ").append(t.decode()).append(" ms, frozen forward ")
        .append(t.frozenForward()).append(" ms (").append(t.frozenImages()).append(" images), head ")
        .append(t.headTraining()).append(" ms, export + parity ").append(t.export())
        .append(" ms.</p>\n</body></html>\n");
    return b.toString();
  }

  /**
   * @return the section on what more photos would give: the learning curve's plot and the
   *     projections for every photo, 2x and 4x the photos, overall and per label
   */
  static String moreData(LearningCurve.Result c, AccuracyEstimate estimate,
      List<String> labels) {
    LearningCurve.Projection now = c.at(1);
    StringBuilder b = new StringBuilder("<h2>More photos?</h2>\n<p id=\"more-data\">")
        .append("Out-of-fold accuracy at smaller training sizes, and the curve error = a·n")
        .append("<sup>−b</sup> + c through it (").append(esc(c.method())).append("). It")
        .append(" projects ").append(pct(now.accuracy())).append(" (").append(pct(now.low()))
        .append("–").append(pct(now.high())).append(") for the model that ships, trained on all ")
        .append(now.photos()).append(" photos, beside the estimate of ")
        .append(pct(estimate.accuracy())).append(", which stays the figure the gates and the")
        .append(" model use (the projection was not better calibrated over many splits:")
        .append(" docs/benchmarks.md). More photos like these: ");
    for (LearningCurve.Projection p : c.projections()) {
      if (p.factor() > 1) {
        b.append(p.factor()).append("× (").append(p.photos()).append(") ")
            .append(pct(p.accuracy())).append(" (").append(pct(p.low())).append("–")
            .append(pct(p.high())).append("); ");
      }
    }
    b.setLength(b.length() - 2);
    b.append(". The curve levels off at ").append(pct(1 - c.fit().c()))
        .append(": past that, better photos or another backbone help, more of the same do")
        .append(" not.</p>\n").append(learningCurveChart(c));
    b.append("<table id=\"more-data-labels\"><tr><th>label</th>");
    for (LearningCurve.Projection p : c.projections()) {
      b.append("<th>").append(p.factor() == 1 ? "every photo" : p.factor() + "× the photos")
          .append("</th>");
    }
    b.append("</tr>\n");
    for (int l = 0; l < labels.size(); l++) {
      b.append("<tr><th>").append(esc(labels.get(l))).append("</th>");
      for (LearningCurve.Projection p : c.projections()) {
        b.append("<td>").append(pct(p.perLabel()[l])).append("</td>");
      }
      b.append("</tr>\n");
    }
    return b.append("</table>\n").toString();
  }

  /**
   * @return the learning curve as inline SVG: measured points (blue), the fitted curve out to 4x
   *     the photos (orange) and the projections with their intervals
   */
  static String learningCurveChart(LearningCurve.Result c) {
    int w = 560;
    int hgt = 240;
    int pad = 44;
    double xMax = c.projections().stream().mapToDouble(LearningCurve.Projection::photos).max()
        .orElse(1);
    double yMin = Math.min(c.points().stream().mapToDouble(LearningCurve.Point::accuracy).min()
        .orElse(0), c.projections().stream().mapToDouble(LearningCurve.Projection::low).min()
        .orElse(0));
    yMin = Math.max(0, Math.floor(yMin * 20 - 1) / 20);
    double lo = yMin;
    java.util.function.DoubleUnaryOperator px = n -> pad + (w - 10 - pad) * n / xMax;
    java.util.function.DoubleUnaryOperator py = a -> (hgt - pad) - (hgt - pad - 10) * (a - lo)
        / (1 - lo);
    StringBuilder b = new StringBuilder();
    b.append("<figure><svg id=\"curve-more-data\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(w).append("\" height=\"").append(hgt).append("\" role=\"img\" aria-label=\"")
        .append("Accuracy against training photos\">")
        .append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\" stroke=\"#ccc\"/>")
        .append("<line x1=\"").append(pad).append("\" y1=\"").append(hgt - pad)
        .append("\" x2=\"").append(w - 10).append("\" y2=\"").append(hgt - pad)
        .append("\" stroke=\"#888\"/><line x1=\"").append(pad).append("\" y1=\"10\" x2=\"")
        .append(pad).append("\" y2=\"").append(hgt - pad).append("\" stroke=\"#888\"/>");
    b.append(text(pad - 5, 15, "100%", "end"));
    b.append(text(pad - 5, hgt - pad, pct(lo), "end"));
    b.append(text(pad, hgt - pad + 15, "0 photos", "start"));
    b.append(text(w - 10, hgt - pad + 15, String.format(Locale.ROOT, "%.0f photos", xMax),
        "end"));
    StringBuilder curve = new StringBuilder();
    double x0 = c.points().get(0).photos();
    for (int i = 0; i <= 60; i++) {
      double n = x0 + (xMax - x0) * i / 60.0;
      curve.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(n),
          py.applyAsDouble(c.fit().accuracy(n))));
    }
    b.append("<polyline fill=\"none\" stroke=\"").append(ORANGE)
        .append("\" stroke-width=\"2\" stroke-dasharray=\"5,3\" points=\"")
        .append(curve.toString().trim()).append("\"/>");
    StringBuilder measured = new StringBuilder();
    for (LearningCurve.Point p : c.points()) {
      measured.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(p.photos()),
          py.applyAsDouble(p.accuracy())));
    }
    b.append("<polyline fill=\"none\" stroke=\"").append(BLUE)
        .append("\" stroke-width=\"2\" points=\"").append(measured.toString().trim())
        .append("\"/>");
    for (LearningCurve.Point p : c.points()) {
      b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
          px.applyAsDouble(p.photos()), py.applyAsDouble(p.accuracy()), BLUE));
    }
    for (LearningCurve.Projection p : c.projections()) {
      double x = px.applyAsDouble(p.photos());
      b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\""
              + " stroke=\"%s\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x,
          py.applyAsDouble(p.low()), x, py.applyAsDouble(p.high()), ORANGE, x,
          py.applyAsDouble(p.accuracy()), ORANGE));
    }
    b.append(text(w - 10, 20, "out-of-fold accuracy, measured", "end").replace("<text",
        "<text fill=\"" + BLUE + "\""));
    b.append(text(w - 10, 36, "fitted curve, projections with 95% intervals", "end")
        .replace("<text", "<text fill=\"" + ORANGE + "\""));
    return b.append("</svg><figcaption>Accuracy against training photos: measured at 25/50/75/")
        .append("100 % of each fold, projected for every photo, 2× and 4×</figcaption></figure>\n")
        .toString();
  }

  /** Suspected photos shown with thumbnails (metrics.json lists all). */
  public static final int SUSPECTS_SHOWN = 24;

  /**
   * @return the section on photos whose label is probably wrong: thumbnails, given and suggested
   *     label, most suspicious first
   */
  static String suspects(List<SuspectedLabel> suspects, Evaluation e, Path datasetRoot) {
    return suspects(suspects, e, datasetRoot, null);
  }

  /**
   * @param maps the activation maps drawn over the thumbnails, or null
   * @return the section on photos whose label is probably wrong
   */
  static String suspects(List<SuspectedLabel> suspects, Evaluation e, Path datasetRoot,
      ActivationMaps maps) {
    StringBuilder b = new StringBuilder("<h2>Suspected wrong labels</h2>\n").append(source(e));
    b.append("<p id=\"suspects-summary\">");
    if (suspects.isEmpty()) {
      return b.append("No photo's label looks wrong: confident learning found none.</p>\n")
          .toString();
    }
    b.append(suspects.size()).append(" of ").append(e.images())
        .append(" photos may be in the wrong folder. Confident learning (Northcutt et al. 2021):"
            + " a photo is suspected when the model gives another label at least that label's"
            + " typical confidence (the mean probability it gives the photos labelled so) and"
            + " its own label less than its own. Most suspicious first (the largest margin: the"
            + " suggested label's probability minus the given one's)")
        .append(suspects.size() > SUSPECTS_SHOWN ? "; the first " + SUSPECTS_SHOWN
            + " below, all in metrics.json (suspectedMislabels)" : "")
        .append(". Move a photo whose label is wrong; leave a right one: the list is a"
            + " suggestion, not a verdict.</p>\n").append(mapsNote(maps))
        .append("<div class=\"worst\" id=\"suspects\">\n");
    for (SuspectedLabel s : suspects.subList(0, Math.min(SUSPECTS_SHOWN, suspects.size()))) {
      b.append("<figure>").append(thumbnail(datasetRoot.resolve(s.path())))
          .append(overlay(maps, s.path())).append("<figcaption>").append(esc(s.path())).append("<br>labelled ")
          .append(esc(s.label())).append(", looks like ").append(esc(s.suggested()))
          .append(" (").append(pct(s.confidence())).append("; ").append(pct(s.givenProbability()))
          .append(" for ").append(esc(s.label())).append(")</figcaption></figure>\n");
    }
    return b.append("</div>\n").toString();
  }

  /**
   * @return the section on photos unlike the rest: thumbnails, label, how far from their nearest
   *     photos against the typical distance, most unusual first
   */
  static String unusual(List<UnusualPhoto> unusual, Path datasetRoot) {
    StringBuilder b = new StringBuilder("<h2>Unusual photos</h2>\n<p id=\"unusual-summary\">");
    if (unusual.isEmpty()) {
      return b.append("None: every photo has near neighbours among the others in the"
          + " backbone's features.</p>\n").toString();
    }
    b.append(unusual.size()).append(unusual.size() == 1 ? " photo is" : " photos are")
        .append(" far from all the others in the backbone's features (the mean cosine distance"
            + " to its nearest photos beyond the upper quartile plus three interquartile"
            + " ranges, Tukey's far-out fence). A label cannot be wrong for them in the way"
            + " above — no other label fits better — but a placeholder, a screenshot or a"
            + " picture of something none of the labels is about teaches the model nothing"
            + " good: remove it, or give such pictures a label of their own")
        .append(unusual.size() > SUSPECTS_SHOWN ? "; the first " + SUSPECTS_SHOWN
            + " below, all in metrics.json (unusualPhotos)" : "")
        .append(".</p>\n<div class=\"worst\" id=\"unusual\">\n");
    for (UnusualPhoto u : unusual.subList(0, Math.min(SUSPECTS_SHOWN, unusual.size()))) {
      b.append("<figure>").append(thumbnail(datasetRoot.resolve(u.path()))).append("<figcaption>")
          .append(esc(u.path())).append("<br>labelled ").append(esc(u.label()))
          .append(String.format(Locale.ROOT, "; distance %.2f (typical %.2f)", u.distance(),
              u.typical())).append("</figcaption></figure>\n");
    }
    return b.append("</div>\n").toString();
  }

  /** Photos named in a list of the changes section before "and N more". */
  static final int CHANGES_NAMED = 50;

  /**
   * @return the section on what changed since the model this one replaces: accuracy before and
   *     after on the same photos, per label; the photos now right and now wrong and the
   *     relabelled ones with thumbnails; the photos added, removed and changed by name
   */
  static String changes(ModelChanges c, Path datasetRoot) {
    StringBuilder b = new StringBuilder("<h2 id=\"changes-title\">What changed since the last"
        + " model</h2>\n<p id=\"changes-summary\">");
    if (c.compared() == 0) {
      b.append("No photo was predicted by both models without training on it, so they are not"
          + " compared photo by photo.");
    } else {
      b.append("On the ").append(c.compared()).append(" photos both models predicted without"
              + " training on them (matched by content, each judged by its label now): the"
              + " previous model ").append(pct(c.accuracyBefore())).append(", this one ")
          .append(pct(c.accuracyAfter())).append("; ").append(c.nowRight().size())
          .append(" now right, ").append(c.nowWrong().size()).append(" now wrong.");
    }
    b.append(" Since the previous model: ").append(c.added().size()).append(" photos added, ")
        .append(c.removed().size()).append(" removed, ").append(c.changed().size())
        .append(" changed (same path, other bytes), ").append(c.relabelled().size())
        .append(" relabelled (the same bytes under another label).</p>\n")
        .append("<p class=\"source\">Previous model: ").append(esc(c.previousSource()))
        .append(". This model: ").append(esc(c.source())).append(".</p>\n");
    if (c.compared() > 0) {
      b.append("<table id=\"changes-labels\"><tr><th>label</th><th>photos</th>")
          .append("<th>previous model</th><th>this model</th><th>change</th></tr>\n");
      for (ModelChanges.LabelChange l : c.perLabel()) {
        b.append("<tr><th>").append(esc(l.label())).append("</th><td>").append(l.photos())
            .append("</td><td>").append(l.before() == null ? "–" : pct(l.before()))
            .append("</td><td>").append(l.after() == null ? "–" : pct(l.after()))
            .append("</td><td>").append(l.before() == null ? "–" : String.format(Locale.ROOT,
                "%+.1f points", (l.after() - l.before()) * 100)).append("</td></tr>\n");
      }
      b.append("</table>\n");
    }
    java.util.Map<String, String> from = new java.util.HashMap<>();
    c.relabelled().forEach(r -> from.put(r.path(), r.from()));
    photoChanges(b, "changes-now-wrong", "Now wrong (the previous model got them right)",
        c.nowWrong(), from, datasetRoot);
    photoChanges(b, "changes-now-right", "Now right (the previous model got them wrong)",
        c.nowRight(), from, datasetRoot);
    if (!c.relabelled().isEmpty()) {
      b.append("<h3>Relabelled</h3>\n<div class=\"worst\" id=\"changes-relabelled\">\n");
      for (ModelChanges.Relabelled r : c.relabelled().subList(0,
          Math.min(CHANGES_NAMED, c.relabelled().size()))) {
        b.append("<figure>").append(thumbnail(datasetRoot.resolve(r.path())))
            .append("<figcaption>").append(esc(r.path())).append("<br>").append(esc(r.from()))
            .append(" → ").append(esc(r.to())).append(r.previousPath().equals(r.path()) ? ""
                : " (was " + esc(r.previousPath()) + ")").append("</figcaption></figure>\n");
      }
      b.append("</div>\n");
    }
    pathList(b, "changes-added", "Added", c.added());
    pathList(b, "changes-removed", "Removed", c.removed());
    pathList(b, "changes-changed", "Changed", c.changed());
    return b.toString();
  }

  /** @param relabelledFrom the previous label of each relabelled photo, by its path now */
  private static void photoChanges(StringBuilder b, String id, String title,
      List<ModelChanges.PhotoChange> photos, java.util.Map<String, String> relabelledFrom,
      Path datasetRoot) {
    if (photos.isEmpty()) {
      return;
    }
    b.append("<h3>").append(esc(title)).append("</h3>\n<div class=\"worst\" id=\"").append(id)
        .append("\">\n");
    for (ModelChanges.PhotoChange p : photos.subList(0, Math.min(CHANGES_NAMED,
        photos.size()))) {
      b.append("<figure>").append(thumbnail(datasetRoot.resolve(p.path())))
          .append("<figcaption>").append(esc(p.path())).append("<br>").append(esc(p.label()))
          .append(": previous model ").append(esc(p.before())).append(", this one ")
          .append(esc(p.after())).append(" (").append(pct(p.probability())).append(" for ")
          .append(esc(p.label())).append(relabelledFrom.containsKey(p.path())
              ? "; relabelled from " + esc(relabelledFrom.get(p.path())) : "")
          .append(")</figcaption></figure>\n");
    }
    b.append("</div>\n");
  }

  private static void pathList(StringBuilder b, String id, String title, List<String> paths) {
    if (paths.isEmpty()) {
      return;
    }
    b.append("<p class=\"changes-list\" id=\"").append(id).append("\">").append(esc(title))
        .append(" (").append(paths.size()).append("): ");
    paths.subList(0, Math.min(CHANGES_NAMED, paths.size()))
        .forEach(p -> b.append(esc(p)).append(", "));
    b.setLength(b.length() - 2);
    b.append(paths.size() > CHANGES_NAMED ? " and " + (paths.size() - CHANGES_NAMED)
        + " more (all in metrics.json)" : "").append(".</p>\n");
  }

  /** @return the line under a section whose thumbnails carry activation maps: what they show */
  private static String mapsNote(ActivationMaps maps) {
    return maps == null ? "" : "<p class=\"source cam-note\">" + esc(maps.note()) + "</p>\n";
  }

  /** @return the photo's activation map under its thumbnail, or nothing */
  private static String overlay(ActivationMaps maps, String photo) {
    ActivationMaps.Overlay o = maps == null ? null : maps.overlays().get(photo);
    return o == null ? "" : "<img class=\"cam\" alt=\"where the model looks for "
        + esc(o.label()) + "\" title=\"class activation map of " + esc(o.label()) + " ("
        + pct(o.probability()) + ")\" src=\"" + o.image() + "\">";
  }

  /** @return a figure's source line: the photos it rests on */
  private static String source(Evaluation e) {
    return "<p class=\"source\">From " + esc(e.source()) + ".</p>\n";
  }

  /** @return in words, which photos trained the head, chose settings, and measured the estimate */
  static String photoUse(TrainingResult r) {
    String images = r.metadata().training().getOrDefault("images", "");
    if (r.validationTrainedOn()) {
      return "No separate val/ folder, so every labelled photo (" + images + ") trained the"
          + " shipped head. The estimate, the confusion matrix, the per-label table and the"
          + " worst photos come from nested cross-validation: each photo was predicted by a head"
          + " fitted without it, whose L2 strength was chosen without it (its out-of-fold"
          + " prediction).";
    }
    if (r.head() != null && r.history().isEmpty()) {
      return "The train/ photos trained the head and chose its L2 strength (cross-validation"
          + " inside train/); the val/ photos (" + images + ") were used for nothing but the"
          + " estimate and the figures below.";
    }
    return "The training photos trained the network (" + images + "); the validation photos"
        + " were halved: one half chose the epoch, the other half only measured the estimate"
        + " and the figures below.";
  }

  /** One line of a chart. */
  record Series(String name, String colour, ToDoubleFunction<EpochStats> value) {}

  static final String BLUE = "#1f6feb";
  static final String ORANGE = "#d29922";

  static String strengthCurve(List<LinearHeadSelection.Point> curve) {
    List<EpochStats> points = new java.util.ArrayList<>();
    for (int i = 0; i < curve.size(); i++) {
      LinearHeadSelection.Point p = curve.get(i);
      points.add(new EpochStats(i + 1, curve.size(), p.loss(), p.accuracy(), p.loss(),
          p.accuracy(), 0, 0));
    }
    return chart("Cross-validated log-loss per L2 strength, strongest first", points,
        List.of(new Series("cross-validated log-loss", ORANGE, EpochStats::valLoss)), "strength",
        "L2 strength " + lambda(curve.get(0).lambda()),
        "L2 strength " + lambda(curve.get(curve.size() - 1).lambda()));
  }

  /** @return e.g. {@code 10}, {@code 0.316}, {@code 0.001} */
  static String lambda(double v) {
    return new java.math.BigDecimal(String.format(Locale.ROOT, "%.3g", v)).stripTrailingZeros()
        .toPlainString();
  }

  static String curves(String title, List<EpochStats> h, ToDoubleFunction<EpochStats> train,
      ToDoubleFunction<EpochStats> val, String id) {
    return chart(title + " per epoch", h, List.of(new Series("training", BLUE, train),
        new Series("validation", ORANGE, val)), id, "epoch 1", "epoch " + h.size());
  }

  /**
   * @param series the lines drawn, each named in the legend in its colour
   * @param first the x axis's label at its left end
   * @param last the x axis's label at its right end
   */
  static String chart(String title, List<EpochStats> h, List<Series> series, String id,
      String first, String last) {
    int w = 560;
    int hgt = 220;
    int pad = 40;
    double max = 0;
    for (EpochStats s : h) {
      for (Series line : series) {
        max = Math.max(max, line.value().applyAsDouble(s));
      }
    }
    max = max <= 0 ? 1 : max * 1.05;
    StringBuilder b = new StringBuilder();
    b.append("<figure><svg id=\"curve-").append(id).append("\" xmlns=\"http://www.w3.org/2000/svg\"")
        .append(" width=\"").append(w).append("\" height=\"").append(hgt).append("\" role=\"img\"")
        .append(" aria-label=\"").append(esc(title)).append("\">")
        .append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\" stroke=\"#ccc\"/>");
    b.append("<line x1=\"").append(pad).append("\" y1=\"").append(hgt - pad).append("\" x2=\"")
        .append(w - 10).append("\" y2=\"").append(hgt - pad).append("\" stroke=\"#888\"/>");
    b.append("<line x1=\"").append(pad).append("\" y1=\"10\" x2=\"").append(pad).append("\" y2=\"")
        .append(hgt - pad).append("\" stroke=\"#888\"/>");
    b.append(text(pad - 5, 15, String.format(Locale.ROOT, "%.2f", max), "end"));
    b.append(text(pad - 5, hgt - pad, "0", "end"));
    b.append(text(pad, hgt - pad + 15, first, "start"));
    b.append(text(w - 10, hgt - pad + 15, last, "end"));
    int y = 20;
    for (Series line : series) {
      b.append(polyline(h, line.value(), max, w, hgt, pad, line.colour()));
      b.append(text(w - 10, y, line.name(), "end").replace("<text",
          "<text fill=\"" + line.colour() + "\""));
      y += 16;
    }
    b.append("</svg><figcaption>").append(esc(title)).append("</figcaption></figure>\n");
    return b.toString();
  }

  private static String polyline(List<EpochStats> h, ToDoubleFunction<EpochStats> f, double max,
      int w, int hgt, int pad, String colour) {
    StringBuilder pts = new StringBuilder();
    for (int i = 0; i < h.size(); i++) {
      double x = pad + (h.size() == 1 ? 0 : (w - 10 - pad) * i / (double) (h.size() - 1));
      double y = (hgt - pad) - (hgt - pad - 10) * f.applyAsDouble(h.get(i)) / max;
      pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
    }
    return "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\" points=\""
        + pts.toString().trim() + "\"/>";
  }

  private static String text(int x, int y, String s, String anchor) {
    return "<text x=\"" + x + "\" y=\"" + y + "\" font-size=\"11\" text-anchor=\"" + anchor + "\">"
        + esc(s) + "</text>";
  }

  static String thumbnail(Path image) {
    try {
      BufferedImage small = Preprocessor.fit(ImageDecoder.decode(image, 128),
          Preprocessing.raw(128, Preprocessing.Resize.CENTER_CROP));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(small, "jpg", out);
      return "<img alt=\"thumbnail\" src=\"data:image/jpeg;base64,"
          + Base64.getEncoder().encodeToString(out.toByteArray()) + "\">";
    } catch (KilnException | IOException e) {
      return "<div>(no thumbnail)</div>";
    }
  }

  private static String pct(double v) {
    return String.format(Locale.ROOT, "%.1f%%", v * 100);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
