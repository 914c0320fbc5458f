package dev.kiln.maven.goal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.maven.codegen.ClassifierGenerator;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.ImageClassifier;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Label folders in the train goal: names with characters outside the Basic Multilingual Plane
 * ({@code 🐝}, {@code 𝒜}) train, ship a model ONNX Runtime's Java binding reads back exactly,
 * and classify through the runtime and the generated class; names that differ only in case stop
 * the build before training.
 */
class LabelFoldersTest {

  @TempDir
  Path project;

  @org.junit.jupiter.api.BeforeEach
  void utf8FileNames() {
    // plugin/pom.xml runs this class with C.UTF-8 whatever Maven's locale; run alone under another
    // locale, Java cannot name these folders at all (the scanner then says to use a UTF-8 locale)
    assumeTrue("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")),
        "file names need a UTF-8 locale (sun.jnu.encoding is "
            + System.getProperty("sun.jnu.encoding") + ")");
  }

  @Test
  void aBeeLabelTrainsAndClassifiesThroughTheRuntime() throws Exception {
    Map<String, String> folders = Map.of("ants", "𝒜", "bees", "🐝");
    for (var f : folders.entrySet()) {
      Path to = Files.createDirectories(project.resolve("images").resolve(f.getValue()));
      try (var files = Files.list(Fixtures.hymenoptera().resolve("train").resolve(f.getKey()))) {
        for (Path p : files.sorted().limit(8).toList()) {
          Files.copy(p, to.resolve(p.getFileName()));
        }
      }
    }
    Path classes = project.resolve("classes");
    TrainConfiguration c = TrainConfiguration.builder().baseDir(project)
        .images(project.resolve("images")).className("com.acme.Insects").inputSize(128)
        .validationSplit(0.3).device("CPU").backbone(Fixtures.mobilenetH5().toString())
        .cacheDir(project.resolve("cache")).workDir(project.resolve("work"))
        .classesDir(classes).build();
    TrainGoal.Outcome outcome = TrainGoal.run(c, ProgressListener.NONE);
    List<String> labels = List.of("𝒜", "🐝"); // sorted by code point, as the scanner sorts
    assertEquals(labels, outcome.labels());

    Path bee = Fixtures.hymenoptera().resolve("val/bees").resolve(firstJpeg("val/bees"));
    try (ImageClassifier runtime = ImageClassifier.load(outcome.model())) {
      assertEquals(labels, runtime.labels());
      float[] scores = runtime.classify(bee).scores();
      assertEquals(1f, scores[0] + scores[1], 1e-4f);
    }

    Path sources = project.resolve("generated");
    Path source = ClassifierGenerator.generate(new ClassifierGenerator.Request(
        "com.acme.Insects", outcome.labels(), null, sources));
    assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d",
        classes.toString(), "-cp", System.getProperty("java.class.path"), "-encoding", "UTF-8",
        source.toString()), "the generated class compiles");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
        getClass().getClassLoader())) {
      Class<?> generated = loader.loadClass("com.acme.Insects");
      try (AutoCloseable insects = (AutoCloseable) generated.getMethod("load").invoke(null)) {
        Object result = generated.getMethod("classify", Path.class).invoke(insects, bee);
        Object best = result.getClass().getMethod("best").invoke(result);
        Object label = best.getClass().getMethod("label").invoke(best);
        Method folder = label.getClass().getMethod("folderName");
        assertTrue(labels.contains((String) folder.invoke(label)), label.toString());
        assertTrue(List.of("A", "U1F41D").contains(label.toString()), label.toString());
      }
    }
  }

  @Test
  void labelsDifferingOnlyInCaseStopTheBuildBeforeTraining() throws Exception {
    for (String label : List.of("Cat", "cat")) {
      Path to = Files.createDirectories(project.resolve("images").resolve(label));
      try (var files = Files.list(Fixtures.hymenoptera().resolve("train/ants"))) {
        for (Path p : files.sorted().skip(label.equals("cat") ? 3 : 0).limit(3).toList()) {
          Files.copy(p, to.resolve(p.getFileName()));
        }
      }
    }
    TrainConfiguration c = TrainConfiguration.builder().baseDir(project)
        .images(project.resolve("images")).className("com.acme.Pets").inputSize(128)
        .device("CPU").backbone(Fixtures.mobilenetH5().toString())
        .cacheDir(project.resolve("cache")).workDir(project.resolve("work"))
        .classesDir(project.resolve("classes")).build();
    dev.kiln.maven.problem.UserProblemException e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.kiln.maven.problem.UserProblemException.class,
        () -> TrainGoal.run(c, ProgressListener.NONE));
    assertTrue(e.getMessage().contains("'Cat' and 'cat' differ only in upper and lower case"),
        e.getMessage());
    assertTrue(Files.notExists(project.resolve("classes/com/acme/Pets.onnx")));
  }

  static String firstJpeg(String folder) throws Exception {
    try (var files = Files.list(Fixtures.hymenoptera().resolve(folder))) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jpg")).sorted()
          .findFirst().orElseThrow();
    }
  }
}
