package dev.kiln.maven.fingerprint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileHashesTest {

  @TempDir
  Path tmp;

  Path write(String name, String content, long ageMillis) throws Exception {
    Path p = Files.writeString(tmp.resolve(name), content);
    Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - ageMillis));
    return p;
  }

  @Test
  void unchangedFilesAreNotReadAgainChangedOnesAre() throws Exception {
    Path store = tmp.resolve("kiln/file-hashes.tsv");
    Path a = write("a.jpg", "aaaa", 60_000);
    Path b = write("b.jpg", "bbbb", 60_000);
    FileHashes first = FileHashes.load(store);
    assertEquals(Hashes.sha256(a), first.sha256(a));
    String before = first.sha256(b);
    assertEquals(Hashes.sha256(b), before);
    assertEquals(2, first.read());
    first.save();

    FileHashes second = FileHashes.load(store);
    assertEquals(Hashes.sha256(a), second.sha256(a));
    assertEquals(0, second.read());
    assertEquals(1, second.remembered());

    write("b.jpg", "BBBBB", 30_000); // edited: new size and time
    String changed = second.sha256(b);
    assertNotEquals(before, changed);
    assertEquals(Hashes.sha256(b), changed);
    assertEquals(1, second.read());
    second.save();

    // a file no longer asked for is dropped from the store
    FileHashes third = FileHashes.load(store);
    third.sha256(b);
    third.save();
    assertEquals(1, Files.readAllLines(store).size());
    assertEquals(true, Files.readString(store).contains("b.jpg"));
  }

  @Test
  void aFileTouchedRightBeforeHashingIsHashedAgain() throws Exception {
    Path store = tmp.resolve("hashes.tsv");
    Path fresh = write("fresh.jpg", "xxxx", 0);
    FileHashes first = FileHashes.load(store);
    first.sha256(fresh);
    first.save();
    // same size and time, but the time was too close to the hash to prove nothing changed after
    Files.writeString(fresh, "yyyy");
    Files.setLastModifiedTime(fresh, FileTime.fromMillis(
        Files.getLastModifiedTime(fresh).toMillis()));
    FileHashes second = FileHashes.load(store);
    assertEquals(Hashes.sha256(fresh), second.sha256(fresh));
    assertEquals(1, second.read());
  }

  @Test
  void aDamagedStoreOnlyCostsAReRead() throws Exception {
    Path store = Files.writeString(tmp.resolve("hashes.tsv"), "garbage\tline\n1\t2\n");
    Path a = write("a.jpg", "aaaa", 60_000);
    FileHashes h = FileHashes.load(store);
    assertEquals(Hashes.sha256(a), h.sha256(a));
    assertEquals(1, h.read());
    // and the fingerprint built on it equals the one without a store
    assertEquals(Fingerprint.of(Map.of("t:a.jpg", a), Map.of("k", "v"), a, "1"),
        Fingerprint.of(Map.of("t:a.jpg", a), Map.of("k", "v"), a, "1", FileHashes.load(store)));
  }

  @Test
  void aFileIsHashedOncePerBuildSoEveryAnswerComesFromOneRead() throws Exception {
    Path a = write("a.jpg", "aaaa", 60_000);
    FileHashes h = FileHashes.load(tmp.resolve("kiln/file-hashes.tsv"));
    String first = h.sha256(a);
    Files.writeString(a, "changed meanwhile");
    assertEquals(first, h.sha256(a), "the fingerprint, the duplicate check and training agree");
    assertEquals(1, h.read());
  }

  @Test
  void aForgottenHashIsReadAgainEvenWithTheSameSizeAndTime() throws Exception {
    Path store = tmp.resolve("kiln/file-hashes.tsv");
    Path a = write("a.jpg", "aaaa", 60_000);
    java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(a);
    FileHashes h = FileHashes.load(store);
    h.sha256(a);
    h.save();
    Files.writeString(a, "bbbb"); // same size
    Files.setLastModifiedTime(a, time); // same time
    FileHashes stale = FileHashes.load(store);
    assertEquals(Hashes.sha256(write("x", "aaaa", 0)), stale.sha256(a), "trusted, wrongly");
    assertEquals(Hashes.sha256(a), FileHashes.load(store).rehashAll().sha256(a),
        "-Dkiln.force reads every file again");
    stale.forget(java.util.List.of(a)).save();
    FileHashes next = FileHashes.load(store);
    assertEquals(Hashes.sha256(a), next.sha256(a));
    assertEquals(1, next.read());
  }

  @Test
  void aSaveThatFailsLeavesNoTemporary() throws Exception {
    Path store = tmp.resolve("kiln/file-hashes.tsv");
    Files.createDirectories(store.resolve("in-the-way")); // the move onto it fails
    FileHashes h = FileHashes.load(store);
    h.sha256(write("a.jpg", "aaaa", 60_000));
    h.save();
    try (var files = Files.list(store.getParent())) {
      assertEquals(java.util.List.of(store), files.toList(), "no .hashes.*.tmp left behind");
    }
    Path stale = Files.createFile(store.resolveSibling(".hashes.k1.tmp"));
    assertEquals(java.util.List.of(stale), FileHashes.removeStale(store));
  }
}
