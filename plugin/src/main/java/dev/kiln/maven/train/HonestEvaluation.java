package dev.kiln.maven.train;

import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.maven.suspects.ConfidentLearning;
import dev.kiln.maven.suspects.SuspectedLabel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The photos a training's evaluation (confusion matrix, per-label table, worst photos) and its
 * suspected wrong labels rest on: the same as the estimate's, never a photo the predicting model
 * trained on. Without a {@code val/} folder the shipped head learns from every photo, so the
 * evaluation is made of the nested cross-validation's out-of-fold predictions (each photo
 * predicted by a head fitted without its fold); otherwise of the exported model's predictions
 * for the held-out photos the estimate is measured on (the {@code val/} folder, or the estimate
 * half of the validation photos).
 */
final class HonestEvaluation {

  /** Worst photos kept. */
  static final int WORST = 12;

  private HonestEvaluation() {}

  /**
   * Honest predictions: one entry per photo.
   *
   * @param names relative paths
   * @param actual the label each photo was given
   * @param probabilities the predicting head's probabilities
   * @param folds for out-of-fold predictions the fold that predicted each photo, else null
   * @param source which photos, predicted by what, in words
   */
  record Predictions(List<String> names, int[] actual, float[][] probabilities, int[] folds,
      String source) {

    /** @return the evaluation (matrix, per-label table, worst photos) */
    Evaluation evaluation(List<String> labels) {
      return Evaluation.of(labels, actual, probabilities, names, folds, WORST, source);
    }

    /** @return the photos whose given label is probably wrong, most suspicious first */
    List<SuspectedLabel> suspects(List<String> labels) {
      return ConfidentLearning.find(labels, actual, probabilities, names).suspects();
    }
  }

  /**
   * @param labels label names
   * @param fitted the L-BFGS head, fitted with the nested estimate
   * @return the out-of-fold predictions' evaluation, one entry per photo (augmented copies left
   *     out), each worst photo with the fold whose head predicted it
   */
  static Evaluation outOfFold(List<String> labels, LinearHead.Selected fitted) {
    return outOfFold(fitted).evaluation(labels);
  }

  /** @return the out-of-fold predictions, one per photo (augmented copies left out) */
  static Predictions outOfFold(LinearHead.Selected fitted) {
    LinearHeadSelection.OutOfFold oof = fitted.selection().outOfFold();
    if (oof == null) {
      throw new IllegalStateException("no out-of-fold predictions: the estimate was not nested"
          + " cross-validation");
    }
    List<LabelledImage> rows = fitted.images();
    List<String> names = new ArrayList<>();
    List<float[]> probabilities = new ArrayList<>();
    List<Integer> actual = new ArrayList<>();
    List<Integer> folds = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      if (oof.scored(i)) {
        names.add(rows.get(i).relativePath());
        probabilities.add(oof.probabilities()[i]);
        actual.add(rows.get(i).label());
        folds.add(oof.fold()[i]);
      }
    }
    String source = String.format(Locale.ROOT, "out-of-fold predictions of %d-fold"
        + " cross-validation on %d photos: each photo predicted by a head that never trained on"
        + " it (fitted on the other folds, its L2 strength chosen on them alone)",
        fitted.selection().folds(), names.size());
    return new Predictions(names, actual.stream().mapToInt(Integer::intValue).toArray(),
        probabilities.toArray(float[][]::new),
        folds.stream().mapToInt(Integer::intValue).toArray(), source);
  }

  /**
   * @param labels label names
   * @param heldOut which validation photos measure the estimate
   * @param images the photos the exported model classified (readable validation photos)
   * @param probabilities its probabilities for them
   * @return the evaluation on the estimate's photos only
   */
  static Evaluation heldOut(List<String> labels, HeldOut heldOut, List<LabelledImage> images,
      float[][] probabilities) {
    return heldOut(heldOut, images, probabilities).evaluation(labels);
  }

  /** @return the exported model's predictions for the estimate's photos only */
  static Predictions heldOut(HeldOut heldOut, List<LabelledImage> images,
      float[][] probabilities) {
    Set<String> measured = heldOut.estimate().stream().map(LabelledImage::relativePath)
        .collect(Collectors.toSet());
    List<String> names = new ArrayList<>();
    List<float[]> kept = new ArrayList<>();
    List<Integer> actual = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      if (measured.contains(images.get(i).relativePath())) {
        names.add(images.get(i).relativePath());
        kept.add(probabilities[i]);
        actual.add(images.get(i).label());
      }
    }
    return new Predictions(names, actual.stream().mapToInt(Integer::intValue).toArray(),
        kept.toArray(float[][]::new), null, "the shipped model's predictions for "
            + heldOut.note());
  }
}
