package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.config.LearningRateSchedule;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.head.LearningCurve;
import dev.kiln.maven.head.LinearHeadSelection;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The {@link HeadSolver#LBFGS} head: softmax regression on the frozen features, its L2 strength
 * chosen by cross-validation ({@link LinearHeadSelection}), put into a DL4J head graph (same
 * layer names as the Adam head).
 *
 * @param folds folds of the cross-validation
 * @param seed the folds' seed
 * @param dropout the head graph's dropout layer (inactive at inference; kept for its layout)
 * @param scoring what the cross-validation measures besides the strength: nested, the estimate
 *     (and the learning curve); out of fold, the predictions candidates are compared by
 *     (auto with a val/ folder, which measures the winner)
 * @param flip scores photos as the flipping model does (mean with their mirror images)
 */
record LinearHead(int folds, long seed, double dropout, LinearHeadSelection.Scoring scoring,
    boolean flip)
    implements HeadFit {

  /**
   * @param selection the strength search, the fitted model and, when asked, the estimate
   * @param images the photo of each row it was fitted on (its out-of-fold predictions' order)
   * @param curve out-of-fold accuracy at several training sizes and its projection, or null
   *     without the nested estimate
   */
  record Selected(LinearHeadSelection.Result selection, List<LabelledImage> images,
      LearningCurve.Result curve) {}

  @Override
  public Fitted fit(Data d, ProgressListener listener) {
    FeatureSource.Features rows = d.train();
    float[][] mirrored = d.mirrored();
    int classes = d.classes();
    String[] keys = rows.images().stream().map(LabelledImage::relativePath)
        .toArray(String[]::new);
    LinearHeadSelection.Result s = LinearHeadSelection.select(rows.rows(), mirrored,
        rows.labels(), classes, keys, folds, seed, d.classWeights(), scoring);
    listener.phase("head", String.format(Locale.ROOT, "softmax regression (L-BFGS) on %d"
            + " examples; L2 strength %.3g chosen by %d-fold cross-validation (cv log-loss %.4f,"
            + " cv accuracy %.1f%%, %d strengths tried, %d fits, %d ms)",
        rows.labels().length, s.lambda(), s.folds(), s.chosen().loss(),
        s.chosen().accuracy() * 100, s.curve().size(), s.fits(), s.millis()));
    LearningCurve.Result curve = null;
    if (scoring == LinearHeadSelection.Scoring.NESTED) {
      long t0 = System.nanoTime();
      curve = LearningCurve.measure(rows.rows(), mirrored, rows.labels(), classes, keys,
          s.outOfFold(), seed, d.classWeights());
      listener.phase("learning-curve", curve.line() + String.format(Locale.ROOT, " (%d ms)",
          (System.nanoTime() - t0) / 1_000_000));
      // k-fold's heads learned from (k-1)/k of the photos: the curve says what the rest may add
      s = s.withEstimate(curve.gain().widen(s.estimate()));
    }
    FitSettings layout = new FitSettings(1, 1, 1e-3, LearningRateSchedule.CONSTANT, dropout, 0,
        1, 0, 0, seed, null);
    ComputationGraph g = HeadGraph.build(rows.rows()[0].length, classes, layout,
        new Adam(1e-3), null);
    Layer out = g.getLayer(Backbone.HEAD);
    out.getParam("W").assign(Nd4j.create(s.model().denseWeights()));
    float[] bias = new float[classes];
    for (int k = 0; k < classes; k++) {
      bias[k] = (float) s.model().bias()[k];
    }
    out.getParam("b").assign(Nd4j.create(new float[][] {bias}));
    return new Fitted(new FitResult(g, List.of(), 0), new Selected(s, rows.images(), curve));
  }

  @Override
  public boolean usesMirrors() {
    return flip;
  }

  @Override
  public String epochsNote() {
    return "";
  }
}
