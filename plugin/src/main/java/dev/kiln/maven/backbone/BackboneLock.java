package dev.kiln.maven.backbone;

import dev.kiln.maven.files.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code kiln-backbones.lock} beside the project's POM: the SHA-256 of every downloaded backbone
 * that has no pinned or configured hash, recorded at its first download (like Gradle's
 * dependency verification). Commit it: every later build, on any machine, verifies the same
 * file, and a different file fails the build naming both hashes.
 */
final class BackboneLock {

  static final String FILE = "kiln-backbones.lock";

  private final Path file;
  private final Map<String, String> entries = new TreeMap<>();

  private BackboneLock(Path file) {
    this.file = file;
  }

  /** @return the project's lock (empty when there is none yet) */
  static BackboneLock in(Path baseDir) {
    BackboneLock lock = new BackboneLock(baseDir.resolve(FILE));
    try {
      if (Files.isRegularFile(lock.file)) {
        for (String line : Files.readAllLines(lock.file)) {
          String[] parts = line.split("\t");
          if (!line.startsWith("#") && parts.length == 2) {
            lock.entries.put(parts[0], parts[1]);
          }
        }
      }
    } catch (IOException e) {
      // unreadable: treated as empty; the next record rewrites it
    }
    return lock;
  }

  /** @return the recorded SHA-256 of {@code key} (a catalogue name or URL), or null */
  String sha256(String key) {
    return entries.get(key);
  }

  /** Records and saves {@code key}'s SHA-256. */
  void record(String key, String sha256) throws IOException {
    entries.put(key, sha256);
    StringBuilder b = new StringBuilder("# SHA-256 of the backbones this project downloads, recorded"
        + " at the first download by Kiln. Commit this file.\n");
    entries.forEach((k, v) -> b.append(k).append('\t').append(v).append('\n'));
    AtomicFiles.write(file, b.toString());
  }

  Path file() {
    return file;
  }
}
