package dev.kiln.maven.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

  @TempDir
  Path dir;

  @Test
  void writtenFilesHaveTheUmasksPermissionsAndStaleTemporariesGo() throws Exception {
    Path target = dir.resolve("Model.onnx");
    AtomicFiles.write(target, new byte[] {1, 2});
    Path reference = Files.createFile(dir.resolve("reference"));
    assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(target));
    // what a kill between writing and moving leaves: a hidden temporary beside the target
    Path stale = TempFiles.create(dir, AtomicFiles.tmpPrefix(target), AtomicFiles.TMP_SUFFIX);
    Path other = Files.createFile(dir.resolve(".Other.onnx.x.tmp"));
    assertEquals(java.util.List.of(stale), AtomicFiles.removeStale(target));
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(other), "only the target's own temporaries are removed");
    assertTrue(Files.exists(target));
  }
}
