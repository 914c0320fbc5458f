package dev.kiln.maven.head;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

class ParallelFitsTest {

  @Test
  void fitsSideBySideGiveTheSameModelsInTheSameOrderAsOneAfterAnother() {
    Random r = new Random(3);
    int n = 300;
    int d = 40;
    float[][] rows = new float[n][d];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (int j = 0; j < d; j++) {
        rows[i][j] = (float) (r.nextGaussian() + (j % 3 == labels[i] ? 0.7 : 0));
      }
    }
    int[] fold = new int[n];
    for (int i = 0; i < n; i++) {
      fold[i] = i % 5;
    }
    List<Callable<SoftmaxRegression.Model>> tasks = new ArrayList<>();
    for (int o = 0; o < 5; o++) {
      int[] use = LinearHeadSelection.rowsNotIn(fold, o, -1);
      double lambda = 0.01 * (o + 1);
      tasks.add(() -> SoftmaxRegression.fit(rows, labels, 3, use, lambda, null, null));
    }
    List<SoftmaxRegression.Model> one;
    List<SoftmaxRegression.Model> four;
    try (ParallelFits serial = new ParallelFits(n, d, 1);
        ParallelFits parallel = new ParallelFits(n, d, 4)) {
      assertEquals(1, serial.threads());
      assertEquals(4, parallel.threads());
      one = serial.all(tasks);
      four = parallel.all(tasks);
    }
    assertEquals(5, four.size());
    for (int t = 0; t < 5; t++) {
      assertArrayEquals(one.get(t).standardized(), four.get(t).standardized(), 0.0,
          "fit " + t + " is bit for bit the same whatever the threads");
    }
  }

  @Test
  void aFailingFitFailsTheWholeWithItsOwnException() {
    List<Callable<Integer>> tasks = List.of(() -> 1, () -> {
      throw new IllegalArgumentException("no rows to fit on");
    });
    try (ParallelFits parallel = new ParallelFits(10, 10, 2)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> parallel.all(tasks));
      assertEquals("no rows to fit on", e.getMessage());
    }
  }
}
