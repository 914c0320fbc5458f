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

  @Test
  void aWriteThatFailsMidwayLeavesNoTemporaryKeepsTheTargetAndNamesTheFullDisk()
      throws Exception {
    Path target = dir.resolve("Model.onnx");
    AtomicFiles.write(target, new byte[] {1, 2});
    java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(
        java.io.IOException.class, () -> AtomicFiles.write(target, out -> {
          out.write(new byte[4096]); // half written, then the disk is full
          throw new java.io.IOException("No space left on device");
        }));
    assertTrue(e.getMessage().contains("cannot write " + target + ": the disk is full (No space"
        + " left on device)"), e.getMessage());
    org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {1, 2},
        Files.readAllBytes(target), "the previous file is whole");
    try (var files = Files.list(dir)) {
      assertEquals(java.util.List.of(target), files.toList(), "no temporary left behind");
    }
  }

  @Test
  void aTemporaryWhoseWriteFailsIsDeletedAndOldStaleOnesGo() throws Exception {
    org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
        () -> TempFiles.write(dir, ".x.", ".tmp", out -> {
          throw new java.io.IOException("No space left on device");
        }));
    try (var files = Files.list(dir)) {
      assertEquals(0, files.count(), "the empty temporary is deleted");
    }
    Path old = Files.createFile(dir.resolve(".a.1.tmp"));
    Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.from(
        java.time.Instant.now().minusSeconds(7200)));
    Path young = Files.createFile(dir.resolve(".a.2.tmp"));
    assertEquals(java.util.List.of(old), TempFiles.removeStale(dir, ".a.", ".tmp",
        java.time.Instant.now().minusSeconds(3600)));
    assertTrue(Files.exists(young), "possibly another build's write in progress");
  }
}
