package dev.kiln.maven.suspects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfidentLearningTest {

  private static final List<String> AB = List.of("ants", "bees");

  @Test
  void thresholdsJointAndMarginOrderOnAHandExample() {
    // thresholds: ants (0.9 + 0.8 + 0.3 + 0.2) / 4 = 0.55; bees (0.9 + 0.7) / 2 = 0.8
    float[][] p = {{0.9f, 0.1f}, {0.8f, 0.2f}, {0.3f, 0.7f}, {0.2f, 0.8f}, {0.1f, 0.9f},
        {0.3f, 0.7f}};
    int[] given = {0, 0, 0, 0, 1, 1};
    List<String> paths = List.of("a1", "a2", "a3", "a4", "b1", "b2");
    ConfidentLearning.Result r = ConfidentLearning.find(AB, given, p, paths);
    assertArrayEquals(new double[] {0.55, 0.8}, r.thresholds(), 1e-6);
    // a3: p_bees 0.7 < 0.8 and p_ants 0.3 < 0.55: counted nowhere; a4 -> bees;
    // b2: p_bees 0.7 < 0.8, p_ants 0.3 < 0.55: nowhere
    assertArrayEquals(new int[] {2, 1}, r.joint()[0]);
    assertArrayEquals(new int[] {0, 1}, r.joint()[1]);
    assertEquals(1, r.suspects().size());
    SuspectedLabel s = r.suspects().get(0);
    assertEquals("a4", s.path());
    assertEquals("ants", s.label());
    assertEquals("bees", s.suggested());
    assertEquals(0.8, s.confidence(), 1e-6);
    assertEquals(0.6, s.margin(), 1e-6);
  }

  @Test
  void ofSeveralLabelsOverTheirThresholdsTheMostProbableIsSuggested() {
    List<String> labels = List.of("a", "b", "c");
    // thresholds: a 0.8 (only photo 0 is labelled a), b 0.1 (photo 1), c 0.1 (photo 2)
    float[][] p = {{0.8f, 0.15f, 0.05f}, {0.5f, 0.1f, 0.4f}, {0.3f, 0.6f, 0.1f}};
    ConfidentLearning.Result r = ConfidentLearning.find(labels, new int[] {0, 1, 2}, p,
        List.of("x", "y", "z"));
    // photo y: b (0.1 >= 0.1) and c (0.4 >= 0.1) pass, a (0.5 < 0.8) does not: c, the larger
    assertEquals("c", r.suspects().stream().filter(s -> s.path().equals("y")).findFirst()
        .orElseThrow().suggested());
    // photo z: b 0.6 passes, c 0.1 passes: b
    assertEquals("b", r.suspects().stream().filter(s -> s.path().equals("z")).findFirst()
        .orElseThrow().suggested());
    assertEquals(List.of("z", "y"), r.suspects().stream().map(SuspectedLabel::path).toList(),
        "margin 0.5 before 0.3");
  }

  @Test
  void findsFlippedLabelsOfASyntheticSetFirst() {
    Random rnd = new Random(7);
    int n = 600;
    int k = 3;
    List<String> labels = List.of("x", "y", "z");
    int[] truth = new int[n];
    float[][] p = new float[n][];
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      truth[i] = i % k;
      // a decent but imperfect model: the true label gets 0.45-0.95, the rest shared at random
      float own = 0.45f + 0.5f * rnd.nextFloat();
      float other = (1 - own) * rnd.nextFloat();
      p[i] = new float[k];
      p[i][truth[i]] = own;
      p[i][(truth[i] + 1) % k] = other;
      p[i][(truth[i] + 2) % k] = 1 - own - other;
      paths.add("photo" + i + ".jpg");
    }
    int[] given = truth.clone();
    Set<String> flipped = new HashSet<>();
    for (int i = 0; i < n; i += 20) { // 5 %
      given[i] = (truth[i] + 1 + rnd.nextInt(k - 1)) % k;
      flipped.add(paths.get(i));
    }
    ConfidentLearning.Result r = ConfidentLearning.find(labels, given, p, paths);
    // confident learning trades recall for precision: a flipped photo whose true label's
    // probability is below that label's threshold is not counted; every one listed is flipped
    long hits = r.suspects().stream().filter(s -> flipped.contains(s.path())).count();
    assertEquals(r.suspects().size(), hits, "only flipped photos are suspected: " + r.suspects());
    assertTrue(hits >= 0.4 * flipped.size(), hits + " of " + flipped.size() + " found");
    for (int i = 0; i < n; i++) {
      int t = truth[i];
      boolean sure = p[i][t] >= r.thresholds()[t];
      if (flipped.contains(paths.get(i)) && sure) {
        String path = paths.get(i);
        assertTrue(r.suspects().stream().anyMatch(s -> s.path().equals(path)),
            path + " passes its true label's threshold, so it is suspected");
      }
    }
    for (SuspectedLabel s : r.suspects()) {
      if (flipped.contains(s.path())) {
        int i = paths.indexOf(s.path());
        assertEquals(labels.get(truth[i]), s.suggested(), "the suggestion is the true label");
      }
    }
    for (int i = 1; i < r.suspects().size(); i++) {
      assertTrue(r.suspects().get(i - 1).margin() >= r.suspects().get(i).margin());
    }
  }

  @Test
  void aCleanConfidentSetHasNoSuspects() {
    float[][] p = {{0.9f, 0.1f}, {0.95f, 0.05f}, {0.1f, 0.9f}, {0.2f, 0.8f}};
    assertTrue(ConfidentLearning.find(AB, new int[] {0, 0, 1, 1}, p,
        List.of("a", "b", "c", "d")).suspects().isEmpty());
  }

  @Test
  void mismatchedInputsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> ConfidentLearning.find(AB,
        new int[] {0}, new float[][] {{1f, 0f, 0f}}, List.of("a")));
    assertThrows(IllegalArgumentException.class, () -> ConfidentLearning.find(AB,
        new int[] {0, 1}, new float[][] {{1f, 0f}}, List.of("a", "b")));
  }
}
