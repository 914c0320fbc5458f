package dev.kiln.maven.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.fingerprint.Hashes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PhotoReadsTest {

  @TempDir
  Path dir;

  @Test
  void everyReadIsHeldToTheRecordOrToTheFirstRead() throws Exception {
    Path a = Files.writeString(dir.resolve("a.jpg"), "aaaa");
    Path b = Files.writeString(dir.resolve("b.jpg"), "bbbb");
    PhotoReads reads = new PhotoSource(Map.of(a, Hashes.sha256(a)), PhotoReader.FILES).open();
    PhotoReads.Photo photo = reads.read(a);
    assertEquals(Hashes.sha256(a), photo.sha256());
    assertEquals("aaaa", new String(photo.bytes()));
    reads.read(b); // not recorded: held to this first read
    Files.writeString(b, "BBBB");
    PhotoReads.ChangedException e = assertThrows(PhotoReads.ChangedException.class,
        () -> reads.read(b));
    assertEquals("BBBB", new String(e.photo().bytes()));
    Files.writeString(a, "AAAA");
    assertThrows(PhotoReads.ChangedException.class, () -> reads.read(a));
    assertEquals(List.of(a, b), reads.changed());
    ChangedPhotosException failure = assertThrows(ChangedPhotosException.class,
        reads::requireUnchanged);
    assertTrue(failure.getMessage().startsWith("2 photo(s) changed while the build was reading"
        + " them:\n  " + a + "\n  " + b), failure.getMessage());
  }

  @Test
  void anUnreadablePhotoIsAReadFailureUnlessItWasReadableWhenHashed() throws Exception {
    Path a = Files.writeString(dir.resolve("a.jpg"), "aaaa");
    Path b = Files.writeString(dir.resolve("b.jpg"), "bbbb");
    PhotoReader failing = f -> {
      throw new IOException("Input/output error");
    };
    PhotoReads reads = new PhotoSource(Map.of(a, PhotoReads.UNREADABLE, b, Hashes.sha256(b)),
        failing).open();
    IOException e = assertThrows(IOException.class, () -> reads.read(a));
    assertFalse(e instanceof PhotoReads.ChangedException, "unreadable then, unreadable now");
    assertThrows(PhotoReads.ChangedException.class, () -> reads.read(b));
    PhotoReads readable = new PhotoSource(Map.of(a, PhotoReads.UNREADABLE), PhotoReader.FILES)
        .open();
    assertThrows(PhotoReads.ChangedException.class, () -> readable.read(a));
    assertEquals(List.of(a), readable.changed());
  }
}
