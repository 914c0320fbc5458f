package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.head.LearningCurve;
import dev.kiln.maven.head.LinearHeadSelection;
import java.util.Locale;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@link HeadSolver#LBFGS} head: softmax regression on the frozen features, its L2 strength
 * chosen by cross-validation ({@link LinearHeadSelection}), put into a DL4J head graph (same
 * layer names as the Adam head) so that the later stages and the export take it as they take
 * any head.
 */
final class LinearHead {

  private LinearHead() {}

  /**
   * @param head the head graph holding the fitted weights (history empty, best epoch 0)
   * @param selection the strength search, the fitted model and, when asked, the estimate
   * @param images the photo of each row it was fitted on (its out-of-fold predictions' order)
   * @param curve out-of-fold accuracy at several training sizes and its projection, or null
   *     without the nested estimate
   */
  record Fitted(HeadTrainer.Result head, LinearHeadSelection.Result selection,
      java.util.List<LabelledImage> images, LearningCurve.Result curve) {}

  /**
   * @param rows the features to fit on (augmented copies after their photos, sharing their keys)
   * @param mirrored the rows' mirror-image features when the model flips at test time, or null
   * @param estimate also estimate the accuracy by nested cross-validation
   */
  static Fitted fit(FeatureSource.Features rows, float[][] mirrored, int classes,
      TrainingRequest request, double[] classWeights, boolean estimate,
      ProgressListener listener) {
    String[] keys = rows.images().stream().map(LabelledImage::relativePath)
        .toArray(String[]::new);
    LinearHeadSelection.Result s = LinearHeadSelection.select(rows.rows(), mirrored,
        rows.labels(), classes, keys, request.estimateFolds(), request.seed(), classWeights,
        estimate);
    listener.phase("head", String.format(Locale.ROOT, "softmax regression (L-BFGS) on %d"
            + " examples; L2 strength %.3g chosen by %d-fold cross-validation (cv log-loss %.4f,"
            + " cv accuracy %.1f%%, %d strengths tried, %d fits, %d ms)",
        rows.labels().length, s.lambda(), s.folds(), s.chosen().loss(),
        s.chosen().accuracy() * 100, s.curve().size(), s.fits(), s.millis()));
    LearningCurve.Result curve = null;
    if (s.outOfFold() != null) {
      long t0 = System.nanoTime();
      curve = LearningCurve.measure(rows.rows(), mirrored, rows.labels(), classes, keys,
          s.outOfFold(), request.seed(), classWeights);
      listener.phase("learning-curve", curve.line() + String.format(Locale.ROOT, " (%d ms)",
          (System.nanoTime() - t0) / 1_000_000));
    }
    ComputationGraph g = HeadTrainer.build(rows.rows()[0].length, classes, new HeadTrainer.Config(
        1, 1, 1e-3, request.dropout(), 0, 1, request.seed(), 0, null, null, 0));
    Layer out = g.getLayer(Backbone.HEAD);
    out.getParam("W").assign(Nd4j.create(s.model().denseWeights()));
    float[] bias = new float[classes];
    for (int k = 0; k < classes; k++) {
      bias[k] = (float) s.model().bias()[k];
    }
    out.getParam("b").assign(Nd4j.create(new float[][] {bias}));
    return new Fitted(new HeadTrainer.Result(g, java.util.List.of(), 0), s, rows.images(),
        curve);
  }
}
