package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.maven.dataset.LabelledImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/** Maps read back from the cache per batch equal the same maps held in memory. */
class CachedRowsInputsTest {

  @TempDir
  Path dir;

  @Test
  void batchesFromTheCacheEqualBatchesFromMemory() {
    dev.kiln.maven.engine.Dl4jSetup.init();
    long[] shape = {2, 3, 3};
    Random r = new Random(3);
    FeatureCache cache = new FeatureCache(dir, "b", "cut", "spec");
    int n = 7;
    float[][] rows = new float[n][18];
    float[][] leftInCache = new float[n][];
    String[] keys = new String[n];
    List<LabelledImage> images = new ArrayList<>();
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 18; j++) {
        rows[i][j] = r.nextFloat();
      }
      keys[i] = "k" + i + "0000";
      labels[i] = i % 2;
      images.add(new LabelledImage(dir.resolve(i + ".jpg"), "l/" + i + ".jpg", labels[i]));
      if (i == 3) {
        leftInCache[i] = rows[i]; // one row the cache "could not take" stays in memory
      } else {
        cache.put(keys[i], rows[i]);
      }
    }
    var cached = new CachedRowsInputs(cache,
        new FeatureSource.Features(images, leftInCache, labels, keys), shape);
    var memory = new ArrayInputs(Nd4j.create(rows), shape, labels);
    assertEquals(n, cached.size());
    assertArrayEquals(labels, cached.labels());
    for (int[] idx : new int[][] {{0, 1, 2, 3}, {6, 3, 5}, {4}}) {
      assertEquals(memory.batch(idx, 1).dup(), cached.batch(idx, 1).dup());
    }
  }
}
