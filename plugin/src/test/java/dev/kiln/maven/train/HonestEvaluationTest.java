package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.maven.head.StratifiedFolds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue 20: the report's matrix, per-label table and worst photos never show a photo its
 * predicting head trained on — out-of-fold predictions without val/, the estimate's held-out
 * photos otherwise.
 */
class HonestEvaluationTest {

  static final List<String> LABELS = List.of("ants", "bees");

  static List<LabelledImage> photos(int n) {
    List<LabelledImage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = LABELS.get(i % 2) + "/p" + i + ".jpg";
      out.add(new LabelledImage(Path.of(name), name, i % 2));
    }
    return out;
  }

  @Test
  void withoutValEveryResultIsAnOutOfFoldPrediction() {
    int n = 60;
    List<LabelledImage> images = new ArrayList<>(photos(n));
    images.addAll(photos(n)); // an augmented copy of each photo, after the photos
    Random r = new Random(3);
    float[][] rows = new float[2 * n][8];
    int[] labels = new int[2 * n];
    String[] keys = new String[2 * n];
    for (int i = 0; i < 2 * n; i++) {
      labels[i] = images.get(i).label();
      keys[i] = images.get(i).relativePath();
      for (int j = 0; j < 8; j++) {
        rows[i][j] = (float) (r.nextGaussian() + (j == 0 && labels[i] == 1 ? 0.8 : 0));
      }
    }
    LinearHeadSelection.Result s = LinearHeadSelection.select(rows, labels, 2, keys, 5, 42, null,
        true);
    Evaluation e = HonestEvaluation.outOfFold(LABELS,
        new LinearHead.Selected(s, images, null));
    assertTrue(e.source().startsWith("out-of-fold predictions of 5-fold cross-validation on 60"
        + " photos: each photo predicted by a head that never trained on it"), e.source());
    assertEquals(n, e.images(), "every photo once, no augmented copy");
    assertEquals(Set.copyOf(e.photos()), new HashSet<>(photos(n).stream()
        .map(LabelledImage::relativePath).toList()));
    assertEquals(s.estimate().accuracy(), e.accuracy(), 1e-12, "the estimate's own photos");
    int[] fold = StratifiedFolds.assign(labels, keys, 5, 42);
    assertFalse(e.worst().isEmpty());
    for (Evaluation.Mistake m : e.worst()) {
      assertNotNull(m.fold(), m.toString());
      int row = e.photos().indexOf(m.image());
      assertEquals(fold[row], m.fold().intValue(), m.image() + " predicted by the head fitted"
          + " without its own fold");
      assertTrue(m.predictedProbability() >= m.probability() - 1e-9, m.toString());
    }
    int total = 0;
    for (int[] row : e.confusion()) {
      for (int v : row) {
        total += v;
      }
    }
    assertEquals(n, total, "the matrix counts each photo once");
  }

  @Test
  void withHeldOutPhotosOnlyTheEstimatesPhotosAppear() {
    List<LabelledImage> val = photos(40);
    HeldOut halves = HeldOut.halves(val, 7);
    Random r = new Random(5);
    float[][] p = new float[val.size()][];
    for (int i = 0; i < p.length; i++) {
      float a = r.nextFloat();
      p[i] = new float[] {a, 1 - a};
    }
    Evaluation e = HonestEvaluation.heldOut(LABELS, halves, val, p);
    Set<String> estimate = new HashSet<>(halves.estimate().stream()
        .map(LabelledImage::relativePath).toList());
    Set<String> selection = new HashSet<>(halves.selection().stream()
        .map(LabelledImage::relativePath).toList());
    assertEquals(estimate, Set.copyOf(e.photos()));
    assertEquals(halves.estimate().size(), e.images());
    for (Evaluation.Mistake m : e.worst()) {
      assertTrue(estimate.contains(m.image()) && !selection.contains(m.image()),
          m.image() + " chose the epoch: not a result");
      assertNull(m.fold());
    }
    assertTrue(e.source().contains("estimate half"), e.source());
    assertEquals(halves.measure(val, p).accuracy(), e.accuracy(), 1e-12,
        "the same photos as the estimate");
  }
}
