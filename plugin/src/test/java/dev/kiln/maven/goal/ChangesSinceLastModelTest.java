package dev.kiln.maven.goal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.maven.changes.BuildRecord;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.runtime.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23, items 3 and 4 through the train goal: a first build keeps its predictions and has no
 * changes section; a rebuild after three ant photos were moved to the bees' folder lists them as
 * relabelled (log, metrics.json, report), and the report's worst photos carry activation maps.
 */
class ChangesSinceLastModelTest {

  @TempDir
  Path project;

  static final int MOVED = 3;

  @Test
  void aRebuildAfterMovingPhotosShowsThemRelabelled() throws Exception {
    for (String label : List.of("ants", "bees")) {
      Files.createDirectories(project.resolve("images").resolve(label));
      try (var files = Files.list(Fixtures.hymenoptera().resolve("train").resolve(label))) {
        for (Path p : files.filter(f -> f.toString().endsWith(".jpg")).sorted().limit(12)
            .toList()) {
          Files.copy(p, project.resolve("images").resolve(label).resolve(p.getFileName()));
        }
      }
    }
    TrainConfiguration c = TrainConfiguration.builder().baseDir(project)
        .images(project.resolve("images")).className("com.acme.Insects").inputSize(128)
        .device("CPU").backbone(Fixtures.mobilenetH5().toString())
        .cacheDir(project.resolve("cache")).workDir(project.resolve("kiln"))
        .classesDir(project.resolve("classes")).mode("feature-extractor").build();
    Map<String, String> phases = new HashMap<>();
    ProgressListener listener = new ProgressListener() {
      @Override
      public void phase(String name, String detail) {
        phases.put(name, detail);
      }

      @Override
      public void epoch(dev.kiln.maven.train.EpochStats stats) {}
    };
    TrainGoal.run(c, listener);
    Path work = project.resolve("kiln");
    BuildRecord first = BuildRecord.read(work.resolve(BuildRecord.FILE));
    assertEquals(24, first.photos().size(), "every photo, with its hash and label");
    assertTrue(first.photos().stream().allMatch(BuildRecord.Photo::predictedHonestly),
        "no val/ folder: every photo has an out-of-fold prediction");
    JsonNode metrics = new ObjectMapper().readTree(work.resolve("metrics.json").toFile());
    assertFalse(metrics.has("changes"), "a first build has nothing to compare with");
    assertFalse(phases.containsKey("changes"));
    String report = Files.readString(work.resolve("report.html"));
    assertFalse(report.contains("What changed since the last model"));
    int worst = report.indexOf("id=\"worst\"");
    assertTrue(report.indexOf("<img class=\"cam\"", worst) > worst, "the worst photos carry"
        + " activation maps");
    assertTrue(report.contains("class activation map"), "and say what they are");

    Set<String> moved = new TreeSet<>();
    try (var files = Files.list(project.resolve("images/ants"))) {
      for (Path p : files.sorted().limit(MOVED).toList()) {
        Files.move(p, project.resolve("images/bees").resolve(p.getFileName()));
        moved.add(p.getFileName().toString());
      }
    }
    TrainGoal.run(c, listener);
    metrics = new ObjectMapper().readTree(work.resolve("metrics.json").toFile());
    JsonNode changes = metrics.get("changes");
    assertEquals(MOVED, changes.get("relabelled").size(), changes.toString());
    Set<String> relabelled = new TreeSet<>();
    for (JsonNode r : changes.get("relabelled")) {
      assertEquals("ants", r.get("from").asText());
      assertEquals("bees", r.get("to").asText());
      assertEquals("ants/" + r.get("path").asText().substring(5), r.get("previousPath").asText());
      relabelled.add(r.get("path").asText().substring("bees/".length()));
    }
    assertEquals(moved, relabelled);
    assertEquals(0, changes.get("added").size());
    assertEquals(0, changes.get("removed").size());
    assertEquals(24, changes.get("compared").asInt(), "the same 24 photos, out of fold both times");
    assertEquals(2, changes.get("perLabel").size());
    assertEquals(15, changes.get("perLabel").get(1).get("photos").asInt(), "bees now 12 + 3");
    String line = phases.get("changes");
    assertTrue(line.startsWith("since the previous model: on the 24 photos both models predicted")
        && line.contains("3 relabelled (ants/") && line.contains("-> bees"), line);
    report = Files.readString(work.resolve("report.html"));
    int section = report.indexOf("What changed since the last model");
    assertTrue(section > 0);
    String relabelledFigures = report.substring(report.indexOf("id=\"changes-relabelled\""));
    for (String name : moved) {
      assertTrue(relabelledFigures.contains("bees/" + name + "<br>ants → bees (was ants/" + name
          + ")"), name);
    }
    assertTrue(relabelledFigures.indexOf("data:image/jpeg;base64,")
        < relabelledFigures.indexOf("</div>"), "with thumbnails");
    assertEquals(metrics.get("modelSha256").asText(), BuildRecord.read(work.resolve(
        BuildRecord.FILE)).modelSha256(), "the record kept is the new model's");
  }
}
