package dev.kiln.maven.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.fingerprint.Hashes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DuplicatePhotosTest {

  @TempDir
  Path dir;

  @Test
  void theSamePhotoUnderTwoLabelsOrOnBothSidesIsResolvedAndReported() throws Exception {
    for (String label : List.of("ants", "bees")) {
      for (int i = 0; i < 10; i++) {
        DatasetScannerTest.image(dir.resolve("train").resolve(label).resolve(i + ".png"));
        DatasetScannerTest.image(dir.resolve("val").resolve(label).resolve("v" + i + ".png"));
      }
    }
    // scraped-data defects: one ant photo also filed as a bee, one on both sides, one twice
    Files.copy(dir.resolve("train/ants/0.png"), dir.resolve("train/bees/ant-as-bee.png"));
    Files.copy(dir.resolve("train/ants/1.png"), dir.resolve("val/ants/also-in-val.png"));
    Files.copy(dir.resolve("train/bees/2.png"), dir.resolve("train/bees/2-copy.png"));
    Dataset scanned = DatasetScanner.scan(new DatasetScanner.Request(dir, List.of(), List.of(),
        0.2, 42));
    assertEquals(22, scanned.train().size());
    DuplicatePhotos.Result r = DuplicatePhotos.resolve(scanned, Hashes::sha256);
    Dataset d = r.dataset();
    List<String> train = d.train().stream().map(LabelledImage::relativePath).toList();
    List<String> val = d.validation().stream().map(LabelledImage::relativePath).toList();
    assertTrue(!train.contains("train/ants/0.png") && !train.contains("train/bees/ant-as-bee.png"),
        "a photo under two labels is left out entirely");
    assertTrue(train.contains("train/ants/1.png") && !val.contains("val/ants/also-in-val.png"),
        "on both sides: kept on the training side only");
    assertTrue(train.contains("train/bees/2-copy.png") ^ train.contains("train/bees/2.png"),
        "twice on one side: once");
    assertEquals(1, r.conflicts().size());
    assertTrue(r.conflicts().get(0).contains("train/ants/0.png, train/bees/ant-as-bee.png"),
        r.conflicts().toString());
    assertEquals(4, r.leftOut());
    String warnings = String.join("\n", d.warnings());
    assertTrue(warnings.contains("the same photo is on both sides of the split: train/ants/1.png,"
        + " val/ants/also-in-val.png"), warnings);
    assertTrue(d.summary().contains("warning(s) about files left out"), d.summary());
    assertEquals(0, DuplicatePhotos.resolve(d, Hashes::sha256).leftOut(), "clean now");
  }
}
