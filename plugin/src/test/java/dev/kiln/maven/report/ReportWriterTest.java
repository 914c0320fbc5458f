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
}
