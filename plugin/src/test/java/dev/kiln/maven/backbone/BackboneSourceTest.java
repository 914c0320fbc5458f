package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.problem.UserProblemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backbone setting typed once: catalogue names, URLs, Maven coordinates, files. */
class BackboneSourceTest {

  @TempDir
  Path base;

  @Test
  void mavenCoordinatesDefaultToAKilnModel() {
    assertEquals(new BackboneSource.Artifact("com.acme", "insects", "1.0", "model", "onnx"),
        BackboneSource.parse("com.acme:insects:1.0", base));
    assertEquals(new BackboneSource.Artifact("com.acme", "nets", "2.1", "weights", "h5"),
        BackboneSource.parse("com.acme:nets:2.1:weights:h5", base));
    assertEquals(new BackboneSource.Artifact("com.acme", "nets", "2.1", "model", "onnx"),
        BackboneSource.parse("com.acme:nets:2.1::onnx".replace("::onnx", ""), base));
    assertEquals(new BackboneSource.Catalogue("mobilenet_v2_0.5_224"),
        BackboneSource.parse("mobilenet_v2_0.5_224", base));
    assertTrue(BackboneSource.parse("https://example.com/m.onnx", base)
        instanceof BackboneSource.Url);
  }

  @Test
  void severalBackbonesAreJoinedByPlus() throws Exception {
    assertEquals(new BackboneSource.Several(java.util.List.of(
        new BackboneSource.Catalogue("mobilenet_v1_0.25_224"),
        new BackboneSource.LocalFile(base.resolve("w/b.h5"), "w/b.h5"))),
        BackboneSource.parse(" mobilenet_v1_0.25_224 + w/b.h5", base));
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> BackboneSource.parse("mobilenet_v1_0.25_224+", base));
    assertTrue(empty.getMessage().contains("empty part"), empty.getMessage());
    Files.writeString(base.resolve("a+b.h5"), "x");
    assertTrue(BackboneSource.parse("a+b.h5", base) instanceof BackboneSource.LocalFile,
        "a file whose name holds '+' stays a file");
  }

  @Test
  void aFileNamedLikeCoordinatesIsAFile() throws Exception {
    Files.writeString(base.resolve("a:b:c"), "x");
    assertTrue(BackboneSource.parse("a:b:c", base) instanceof BackboneSource.LocalFile);
  }

  @Test
  void withoutMavenCoordinatesAreRefusedClearly() {
    UserProblemException e = assertThrows(UserProblemException.class, () ->
        BackboneResolver.file(BackboneSource.parse("com.acme:insects:1.0", base), base,
            new BackboneResolver.Source(null, base, null, false), line -> { }));
    assertTrue(e.getMessage().contains("com.acme:insects:1.0:model:onnx"), e.getMessage());
  }
}
