package dev.kiln.maven.changes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Photos are matched by content: moved to another label folder, a photo is relabelled. */
class ModelChangesTest {

  static BuildRecord.Photo photo(String path, String sha, String predicted) {
    String label = path.substring(0, path.indexOf('/'));
    return new BuildRecord.Photo(path, sha, label, predicted, predicted == null ? null
        : predicted.equals(label) ? 0.9 : 0.1);
  }

  static final BuildRecord BEFORE = new BuildRecord("m1", "out-of-fold (before)",
      List.of("ants", "bees"), List.of(
          photo("ants/a.jpg", "A", "ants"),
          photo("ants/b.jpg", "B", "bees"),     // wrong before, right after
          photo("ants/c.jpg", "C", "ants"),     // moved to bees/
          photo("bees/d.jpg", "D", "bees"),     // right before, wrong after
          photo("bees/e.jpg", "E", "bees"),     // removed
          photo("bees/f.jpg", "F", "bees"),     // same path, new bytes
          photo("train/bees/g.jpg", "G", null)));  // trained the head: not compared

  static final BuildRecord AFTER = new BuildRecord("m2", "out-of-fold (after)",
      List.of("ants", "bees"), List.of(
          photo("ants/a.jpg", "A", "ants"),
          photo("ants/b.jpg", "B", "ants"),
          photo("bees/c.jpg", "C", "ants"),
          photo("bees/d.jpg", "D", "ants"),
          photo("bees/f.jpg", "F2", "bees"),
          photo("bees/h.jpg", "H", "bees"),     // added
          photo("train/bees/g.jpg", "G", "bees")));

  @Test
  void photosAreMatchedByContentAndJudgedByTheirLabelNow() {
    ModelChanges c = ModelChanges.between(BEFORE, AFTER);
    assertEquals(List.of("bees/h.jpg"), c.added());
    assertEquals(List.of("bees/e.jpg"), c.removed());
    assertEquals(List.of("bees/f.jpg"), c.changed());
    assertEquals(List.of(new ModelChanges.Relabelled("bees/c.jpg", "ants/c.jpg", "ants", "bees")),
        c.relabelled());
    // compared: a, b, c, d (g has no honest prediction before; f, h are new content)
    assertEquals(4, c.compared());
    assertEquals(List.of("ants/b.jpg"), c.nowRight().stream().map(ModelChanges.PhotoChange::path)
        .toList());
    assertEquals(List.of("bees/d.jpg"), c.nowWrong().stream().map(ModelChanges.PhotoChange::path)
        .toList());
    // by the labels now: ants a, b; bees c (ants both times: wrong both), d
    assertEquals(0.5, c.accuracyBefore(), 1e-12);  // a, d
    assertEquals(0.5, c.accuracyAfter(), 1e-12);   // a, b
    ModelChanges.LabelChange bees = c.perLabel().get(1);
    assertEquals("bees", bees.label());
    assertEquals(2, bees.photos());
    assertEquals(0.5, bees.before(), 1e-12);
    assertEquals(0.0, bees.after(), 1e-12);
    assertTrue(c.line().contains("1 relabelled (ants/c.jpg -> bees)"), c.line());
  }

  @Test
  void aRecordReadsBackAndAMissingOneIsNoComparison(@TempDir Path dir) throws Exception {
    Path file = dir.resolve(BuildRecord.FILE);
    Files.write(file, AFTER.toJson());
    assertEquals(AFTER, BuildRecord.read(file));
    assertNull(BuildRecord.read(dir.resolve("absent.json")));
    Files.writeString(file, "{not json");
    assertNull(BuildRecord.read(file), "an unreadable record is no record");
  }
}
