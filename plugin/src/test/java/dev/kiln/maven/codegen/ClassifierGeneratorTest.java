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
  void awkwardLabelsBecomeConstantsOfTheirOwn() throws Exception {
    List<String> labels = List.of("class", "2nd place", "café", "ant colony", "日本", "a-b", "🐝",
        "𝒜", "---", "ﬁsh", "🐝 hive");
    assertEquals(List.of("CLASS", "_2ND_PLACE", "CAFE", "ANT_COLONY", "U65E5_U672C", "A_B",
        "U1F41D", "A", "LABEL_2D_2D_2D", "FISH", "U1F41D_HIVE"), LabelNames.constants(labels));
    // a constant depends on its label only: a new folder beside it never changes it
    assertEquals(List.of("U65E5_U672C", "U1F41D"), LabelNames.constants(List.of("日本", "🐝")));
    assertEquals(List.of("AARDVARK", "U65E5_U672C", "U1F41D"),
        LabelNames.constants(List.of("aardvark", "日本", "🐝")));
  }

  @Test
  void labelsThatWouldShareAConstantAreAnErrorNamingBoth() {
    UserProblemException c = assertThrows(UserProblemException.class,
        () -> LabelNames.constants(List.of("a-b", "a_b")));
    assertTrue(c.getMessage().contains("'a-b' and 'a_b'") && c.getMessage().contains("Label.A_B")
        && c.getMessage().contains("rename"), c.getMessage());
    UserProblemException caseOnly = assertThrows(UserProblemException.class,
        () -> LabelNames.constants(List.of("Cat", "cat")));
    assertTrue(caseOnly.getMessage().contains("'Cat' and 'cat' differ only in upper and lower"
        + " case"), caseOnly.getMessage());
    String nfc = "caf\u00e9";
    String nfd = "cafe\u0301";
    UserProblemException forms = assertThrows(UserProblemException.class,
        () -> LabelNames.checkDistinguishable(List.of(nfc, "dog", nfd)));
    assertTrue(forms.getMessage().contains("two Unicode normalisation forms (c a f U+00E9 and c a"
        + " f e U+0301)"), forms.getMessage());
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
    List<String> labels = List.of("ants", "bees", "café \"au lait\"", "class", "🐝", "𝒜");
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
      assertEquals(6, constants.length);
      assertEquals("U1F41D", constants[4].toString());
      assertEquals("🐝", label.getMethod("folderName").invoke(constants[4]));
      assertEquals("𝒜", label.getMethod("folderName").invoke(constants[5]));
      assertEquals("café \"au lait\"", label.getMethod("folderName").invoke(constants[2]));
      assertEquals("CAFE_AU_LAIT", constants[2].toString());
      Class<?> cls = loader.loadClass("com.acme.pets.PetClassifier");
      assertEquals("com/acme/pets/PetClassifier.onnx", cls.getField("MODEL_RESOURCE").get(null));
    }
  }
}
