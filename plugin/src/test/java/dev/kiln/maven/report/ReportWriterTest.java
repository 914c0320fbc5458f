package dev.kiln.maven.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.maven.train.EpochStats;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The report's charts: every legend entry is a drawn line, axes say what they measure. */
class ReportWriterTest {

  static final Pattern LINE = Pattern.compile("<polyline fill=\"none\" stroke=\"(#[0-9a-f]{6})\"");
  static final Pattern LEGEND = Pattern.compile(
      "<text fill=\"(#[0-9a-f]{6})\" x=\"\\d+\" y=\"\\d+\" font-size=\"11\" text-anchor=\"end\">"
          + "([^<]+)</text>");

  static List<String> all(Pattern p, String svg, int group) {
    List<String> out = new ArrayList<>();
    Matcher m = p.matcher(svg);
    while (m.find()) {
      out.add(m.group(group));
    }
    return out;
  }

  @Test
  void theStrengthChartDrawsWhatItsLegendNamesAndLabelsItsAxisWithStrengths() {
    List<LinearHeadSelection.Point> curve = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      curve.add(new LinearHeadSelection.Point(Math.pow(10, 1 - 0.5 * i), 0.5 - 0.01 * i, 0.8));
    }
    String svg = ReportWriter.strengthCurve(curve);
    assertEquals(List.of("cross-validated log-loss"), all(LEGEND, svg, 2),
        "one line drawn, one named: no 'training' line that is not there");
    assertEquals(all(LINE, svg, 1), all(LEGEND, svg, 1), "each legend entry in its line's colour");
    assertFalse(svg.contains("strength 9") || svg.contains(">epoch"), svg);
    assertTrue(svg.contains(">L2 strength 10</text>") && svg.contains(">L2 strength 0.001</text>"),
        "the axis runs from the strongest to the weakest strength tried: " + svg);
  }

  @Test
  void learningCurvesKeepTheirTrainingAndValidationLines() {
    List<EpochStats> h = List.of(new EpochStats(1, 2, 0.7, 0.6, 0.8, 0.5, 0, 0),
        new EpochStats(2, 2, 0.5, 0.8, 0.6, 0.7, 0, 0));
    String svg = ReportWriter.curves("Loss", h, EpochStats::trainLoss, EpochStats::valLoss,
        "loss");
    assertEquals(List.of("training", "validation"), all(LEGEND, svg, 2));
    assertEquals(all(LINE, svg, 1), all(LEGEND, svg, 1));
    assertTrue(svg.contains(">epoch 1</text>") && svg.contains(">epoch 2</text>"), svg);
  }

  @Test
  void theMoreDataChartDrawsTheMeasuredPointsAndTheFittedCurveItsLegendNames() {
    List<dev.kiln.maven.head.LearningCurve.Point> points = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      points.add(new dev.kiln.maven.head.LearningCurve.Point(i / 4.0, 25 * i, 0.7 + 0.04 * i,
          new double[] {0.8, 0.9}));
    }
    dev.kiln.maven.head.LearningCurve.Result c = new dev.kiln.maven.head.LearningCurve.Result(
        points, new dev.kiln.maven.head.LearningCurve.Fit(1, 0.5, 0.05), List.of(
            new dev.kiln.maven.head.LearningCurve.Projection(1, 125, 0.86, 0.8, 0.9,
                new double[] {0.85, 0.87}),
            new dev.kiln.maven.head.LearningCurve.Projection(2, 250, 0.89, 0.82, 0.93,
                new double[] {0.88, 0.9}),
            new dev.kiln.maven.head.LearningCurve.Projection(4, 500, 0.91, 0.84, 0.95,
                new double[] {0.9, 0.92})),
        new dev.kiln.maven.head.LearningCurve.Gain(100, 125, 0.01, 0.02), "how");
    String svg = ReportWriter.learningCurveChart(c);
    assertEquals(List.of("out-of-fold accuracy, measured",
        "fitted curve, projections with 95% intervals"), all(LEGEND, svg, 2));
    assertEquals(java.util.Set.copyOf(all(LINE, svg, 1)), java.util.Set.copyOf(all(LEGEND, svg, 1)),
        "each legend entry in a drawn line's colour");
    assertTrue(svg.contains(">500 photos</text>"), "the x axis reaches 4x the photos");
    assertEquals(4 + 3, svg.split("<circle").length - 1, "4 measured points, 3 projections");
    String section = ReportWriter.moreData(c, dev.kiln.maven.head.AccuracyEstimate.exact(86,
        100, "nested"), List.of("ants", "bees"));
    assertTrue(section.contains("2× (250) 89.0% (82.0%–93.0%)"), section);
    assertTrue(section.contains("<tr><th>bees</th><td>87.0%</td><td>90.0%</td><td>92.0%</td>"),
        section);
  }

  @Test
  void withoutSuspectsTheSectionSaysSo() {
    dev.kiln.maven.train.Evaluation e = dev.kiln.maven.train.Evaluation.of(List.of("a", "b"),
        new int[] {0, 1}, new float[][] {{0.9f, 0.1f}, {0.2f, 0.8f}}, List.of("a/1.jpg",
            "b/2.jpg"), 2, "test photos");
    String html = ReportWriter.suspects(List.of(), e, java.nio.file.Path.of("."));
    assertTrue(html.contains("No photo's label looks wrong"), html);
    html = ReportWriter.suspects(List.of(new dev.kiln.maven.suspects.SuspectedLabel("a/1.jpg",
        "a", "b", 0.9, 0.1, 0.8)), e, java.nio.file.Path.of("."));
    assertTrue(html.contains("1 of 2 photos may be in the wrong folder")
        && html.contains("a/1.jpg<br>labelled a, looks like b (90.0%; 10.0% for a)"), html);
  }
}
