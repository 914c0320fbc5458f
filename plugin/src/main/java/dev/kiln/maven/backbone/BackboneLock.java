package dev.kiln.maven.backbone;

import dev.kiln.maven.files.AtomicFiles;
import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code kiln-backbones.lock} beside the project's POM: the SHA-256 of every downloaded backbone
 * that has no pinned or configured hash, recorded at its first download (like Gradle's
 * dependency verification). Commit it: every later build, on any machine, verifies the same
 * file, and a different file fails the build naming both hashes. A line is the key, whitespace and
 * the SHA-256; a line that is neither that nor a comment fails the build, naming it. A recorded
 * pin is only replaced when the user deletes its line.
 */
final class BackboneLock {

  static final String FILE = "kiln-backbones.lock";

  private final Path file;
  private final Map<String, String> entries = new TreeMap<>();

  private BackboneLock(Path file) {
    this.file = file;
  }

  /**
   * @param baseDir the project folder
   * @return the project's lock (empty when there is none yet)
   * @throws UserProblemException when the file cannot be read, or a line cannot be parsed: a pin
   *     that is not understood is never skipped (that would let a changed download replace it)
   */
  static BackboneLock in(Path baseDir) throws UserProblemException {
    BackboneLock lock = new BackboneLock(baseDir.resolve(FILE));
    if (!Files.exists(lock.file)) {
      return lock;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(lock.file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserProblemException("cannot read " + lock.file + " (" + e + "): its pinned"
          + " backbone hashes cannot be checked. Make it a readable UTF-8 text file (restore it"
          + " from version control)", e);
    }
    for (int n = 1; n <= lines.size(); n++) {
      String line = lines.get(n - 1);
      String text = line.strip();
      if (text.isEmpty() || text.startsWith("#")) {
        continue;
      }
      String[] parts = text.split("\\s+");
      if (parts.length != 2 || !parts[1].matches("[0-9a-fA-F]{64}")) {
        throw new UserProblemException(lock.file + " line " + n + " ('" + line + "') is not a"
            + " pin: a line is a catalogue name or URL, then whitespace (a tab or spaces), then"
            + " its SHA-256 (64 hex digits); or a # comment. Fix the line (restore it from"
            + " version control); " + REPLACE);
      }
      String sha = parts[1].toLowerCase(Locale.ROOT);
      String before = lock.entries.putIfAbsent(parts[0], sha);
      if (before != null && !before.equals(sha)) {
        throw new UserProblemException(lock.file + " line " + n + " pins " + parts[0]
            + " to " + sha + ", but an earlier line pins it to " + before + ": keep the right"
            + " line and delete the other");
      }
    }
    return lock;
  }

  /** How a user replaces a pin: the only way one is ever replaced. */
  static final String REPLACE = "to replace a pin deliberately (the publisher changed the file),"
      + " delete its line: the next build downloads the file and records its new hash";

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
