package dev.kiln.maven.head;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StratifiedFoldsTest {

  static int[] labels(int... counts) {
    List<Integer> l = new ArrayList<>();
    for (int c = 0; c < counts.length; c++) {
      for (int i = 0; i < counts[c]; i++) {
        l.add(c);
      }
    }
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  static String[] keys(int n) {
    String[] k = new String[n];
    for (int i = 0; i < n; i++) {
      k[i] = "photo-" + i + ".jpg";
    }
    return k;
  }

  @Test
  void everyFoldGetsEachLabelsShare() {
    int[] labels = labels(124, 121);
    int[] fold = StratifiedFolds.assign(labels, keys(labels.length), 5, 42);
    for (int c = 0; c < 2; c++) {
      int[] perFold = new int[5];
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] == c) {
          perFold[fold[i]]++;
        }
      }
      int min = java.util.Arrays.stream(perFold).min().orElseThrow();
      int max = java.util.Arrays.stream(perFold).max().orElseThrow();
      assertTrue(max - min <= 1, "label " + c + " per fold " + java.util.Arrays.toString(perFold));
    }
  }

  @Test
  void theAssignmentDoesNotDependOnInputOrder() {
    int[] labels = labels(30, 20, 10);
    String[] keys = keys(labels.length);
    int[] fold = StratifiedFolds.assign(labels, keys, 5, 7);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < labels.length; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(3));
    int[] l2 = order.stream().mapToInt(i -> labels[i]).toArray();
    String[] k2 = order.stream().map(i -> keys[i]).toArray(String[]::new);
    int[] f2 = StratifiedFolds.assign(l2, k2, 5, 7);
    for (int j = 0; j < order.size(); j++) {
      assertEquals(fold[order.get(j)], f2[j]);
    }
    assertArrayEquals(fold, StratifiedFolds.assign(labels, keys, 5, 7), "same seed, same folds");
  }

  @Test
  void augmentedCopiesShareTheirPhotosFoldAndAreNotScored() {
    int[] labels = {0, 0, 0, 1, 1, 1, 0, 1};
    String[] keys = {"a", "b", "c", "d", "e", "f", "a", "d"};
    int[] fold = StratifiedFolds.assign(labels, keys, 3, 1);
    assertEquals(fold[0], fold[6]);
    assertEquals(fold[3], fold[7]);
    assertArrayEquals(new boolean[] {true, true, true, true, true, true, false, false},
        StratifiedFolds.firstOfKey(keys));
  }

  @Test
  void foldsShrinkToTheSmallestLabelAndNeedTwoPhotosPerLabel() {
    assertEquals(3, StratifiedFolds.folds(labels(10, 3), 5));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StratifiedFolds.folds(labels(10, 1), 5));
    assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
  }
}
