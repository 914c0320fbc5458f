package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoSource;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.image.Preprocessing;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class FittedImagesTest {

  @Test
  void keepsImagesWithinItsBudgetAndTheFirstOfEachPhoto() {
    Preprocessing spec = Preprocessing.raw(8, Preprocessing.Resize.CENTER_CROP);
    FittedImages kept = new FittedImages(2 * 8 * 8 * 4);
    BufferedImage a = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    BufferedImage b = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    kept.offer("a", spec, a);
    kept.offer("a", spec, b);
    kept.offer("b", spec, b);
    kept.offer("c", spec, a); // beyond the budget
    assertSame(a, kept.get("a", spec));
    assertSame(b, kept.get("b", spec));
    assertNull(kept.get("c", spec));
    assertNull(kept.get("a", Preprocessing.raw(9, Preprocessing.Resize.CENTER_CROP)));
    assertEquals(2, kept.size());
    assertEquals(2, kept.hits());
  }

  @Test
  void plainAndMirrorFeaturesFromKeptImagesEqualThoseDecodedAfresh() throws Exception {
    List<LabelledImage> photos = new ArrayList<>();
    try (var files = Files.list(Fixtures.hymenoptera().resolve("train/ants"))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".jpg")).sorted().limit(20)
          .toList()) {
        photos.add(new LabelledImage(p, "train/ants/" + p.getFileName(), 0));
      }
    }
    Backbone backbone = dev.kiln.maven.TestData.mobilenet(128);
    Preprocessing raw = Preprocessing.raw(128, Preprocessing.Resize.CENTER_CROP);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    FittedImages kept = new FittedImages(FittedImages.DEFAULT_BUDGET);
    try (FeatureSource once = new FeatureSource(backbone, null, true, raw, Device.CPU, null, pool,
            PhotoSource.FILES.open(), kept);
        FeatureSource afresh = new FeatureSource(backbone, null, true, raw, Device.CPU, null,
            pool, PhotoSource.FILES.open())) {
      float[][] plain = once.features(photos, new ArrayList<>()).rows();
      assertEquals(photos.size(), kept.size());
      assertEquals(0, kept.hits());
      float[][] mirror = once.mirrored(photos, new ArrayList<>()).rows();
      float[][] again = once.features(photos, new ArrayList<>()).rows();
      assertEquals(2 * photos.size(), kept.hits(), "the mirror and the second pass decode nothing");
      float[][] plainAfresh = afresh.features(photos, new ArrayList<>()).rows();
      float[][] mirrorAfresh = afresh.mirrored(photos, new ArrayList<>()).rows();
      for (int i = 0; i < photos.size(); i++) {
        assertArrayEquals(plainAfresh[i], plain[i]);
        assertArrayEquals(plainAfresh[i], again[i]);
        assertArrayEquals(mirrorAfresh[i], mirror[i]);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
