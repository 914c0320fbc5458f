package dev.kiln.maven.suspects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UnusualPhotosTest {

  /** @return n photos around two directions (two labels), non-negative like pooled features */
  static float[][] clustered(int n, Random r) {
    float[][] x = new float[n][16];
    for (int i = 0; i < n; i++) {
      int centre = i % 2 == 0 ? 0 : 8;
      for (int j = 0; j < 16; j++) {
        x[i][j] = (float) Math.abs(r.nextGaussian() * 0.1 + (j >= centre && j < centre + 8
            ? 1 : 0));
      }
    }
    return x;
  }

  static List<String> names(int n, String prefix) {
    List<String> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(prefix + i + ".jpg");
    }
    return l;
  }

  @Test
  void aPhotoFarFromEveryOtherIsListedFirstWithItsDistanceAgainstTheTypicalOne() {
    float[][] x = clustered(60, new Random(1));
    x[17] = new float[16];
    x[17][3] = 1; // one direction no other photo has much of
    x[17][12] = 1;
    x[17][0] = -1;
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      labels.add(i % 2 == 0 ? "ants" : "bees");
    }
    List<UnusualPhoto> found = UnusualPhotos.find(names(60, "p"), labels, x, 7);
    assertEquals("p17.jpg", found.get(0).path(), found.toString());
    assertEquals("bees", found.get(0).label());
    assertTrue(found.get(0).distance() > 3 * found.get(0).typical(), found.toString());
    assertTrue(found.get(0).spread() > UnusualPhotos.FENCE);
    for (int i = 1; i < found.size(); i++) {
      assertTrue(found.get(i - 1).distance() >= found.get(i).distance(), "most unusual first");
    }
  }

  @Test
  void photosThatAllHaveNeighboursGiveNoneAndTooFewPhotosGiveNone() {
    float[][] x = clustered(80, new Random(2));
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      labels.add(i % 2 == 0 ? "a" : "b");
    }
    assertEquals(List.of(), UnusualPhotos.find(names(80, "q"), labels, x, 7));
    assertEquals(List.of(), UnusualPhotos.find(names(4, "q"), labels.subList(0, 4),
        java.util.Arrays.copyOf(x, 4), 7));
    assertThrows(IllegalArgumentException.class, () -> UnusualPhotos.find(names(3, "q"),
        labels, x, 7));
  }

  @Test
  void withMorePhotosThanTheReferenceSampleTheFarOneIsStillFound() {
    int n = UnusualPhotos.REFERENCE + 300;
    float[][] x = clustered(n, new Random(3));
    x[n - 1] = new float[16];
    x[n - 1][5] = 1;
    x[n - 1][13] = 1;
    List<String> labels = java.util.Collections.nCopies(n, "a");
    assertEquals("r" + (n - 1) + ".jpg", UnusualPhotos.find(names(n, "r"), labels, x, 7)
        .get(0).path());
  }
}
