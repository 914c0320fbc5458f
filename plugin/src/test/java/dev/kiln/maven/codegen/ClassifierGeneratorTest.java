package dev.kiln.maven.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.problem.UserProblemException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierGeneratorTest {

  @TempDir
  Path dir;

  @Test
  void awkwardLabelsBecomeDistinctConstants() {
    List<String> labels = List.of("class", "2nd place", "café", "Cafe", "ant colony", "日本",
        "a-b", "a_b");
    assertEquals(List.of("CLASS", "_2ND_PLACE", "CAFE", "CAFE_2", "ANT_COLONY", "LABEL_5", "A_B",
        "A_B_2"), LabelNames.constants(labels));
  }

  @Test
  void classNamesAreChecked() {
    assertNull(LabelNames.checkClassName("com.acme.pets.PetClassifier"));
    assertNotNull(LabelNames.checkClassName("PetClassifier"));
    assertNotNull(LabelNames.checkClassName("com.acme.class.Pets"));
    assertNotNull(LabelNames.checkClassName("com.acme.2pets.Pets"));
    assertNotNull(LabelNames.checkClassName("com.acme.pets.petClassifier"));
    UserProblemException e = assertThrows(UserProblemException.class, () ->
        ClassifierGenerator.generate(new ClassifierGenerator.Request("com.acme.my-pets.Pets",
            List.of("a", "b"), null, dir)));
    assertTrue(e.getMessage().contains("kiln.className"), e.getMessage());
  }

  @Test
  void generatedClassCompilesWithoutWarnings() throws Exception {
    List<String> labels = List.of("ants", "bees", "café \"au lait\"", "class");
    Path file = ClassifierGenerator.generate(new ClassifierGenerator.Request(
        "com.acme.pets.PetClassifier", labels, "Validation accuracy 0.95\nBackbone x", dir));
    assertEquals(dir.resolve("com/acme/pets/PetClassifier.java"), file);
    long modified = Files.getLastModifiedTime(file).toMillis();
    Thread.sleep(20);
    ClassifierGenerator.generate(new ClassifierGenerator.Request(
        "com.acme.pets.PetClassifier", labels, "Validation accuracy 0.95\nBackbone x", dir));
    assertEquals(modified, Files.getLastModifiedTime(file).toMillis(), "unchanged file kept");

    String runtimeJar = System.getProperty("java.class.path");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    Path classes = Files.createDirectories(dir.resolve("classes"));
    // the generated source is UTF-8 whatever the platform's default charset (LANG unset in CI)
    int rc = javac.run(null, null, null, "-encoding", "UTF-8", "-d", classes.toString(),
        "-cp", runtimeJar,
        "-Xlint:all,-path,-processing", "-Werror", file.toString());
    assertEquals(0, rc, "generated source compiles without warnings");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
        getClass().getClassLoader())) {
      Class<?> label = loader.loadClass("com.acme.pets.PetClassifier$Label");
      Object[] constants = label.getEnumConstants();
      assertEquals(4, constants.length);
      assertEquals("café \"au lait\"", label.getMethod("folderName").invoke(constants[2]));
      assertEquals("CAFE_AU_LAIT", constants[2].toString());
      Class<?> cls = loader.loadClass("com.acme.pets.PetClassifier");
      assertEquals("com/acme/pets/PetClassifier.onnx", cls.getField("MODEL_RESOURCE").get(null));
    }
  }
}
