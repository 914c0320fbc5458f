package dev.kiln.maven.fingerprint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * SHA-256 of files, remembered between builds by (path, size, modification time) in a small text
 * file, so that an unchanged data set is not read again on every build. An entry is trusted only
 * when the file's modification time is at least {@link #RACY_MILLIS} older than the moment the
 * hash was taken: a file rewritten within the file system's timestamp granularity right after it
 * was hashed is hashed again (git's "racy clean" rule).
 */
public final class FileHashes {

  /** How much older than the hash a file's timestamp must be for the entry to be trusted. */
  static final long RACY_MILLIS = 2_000;

  private record Entry(long size, long modified, long hashedAt, String sha256) {}

  private final Path store;
  private final Map<String, Entry> entries = new TreeMap<>();
  private final java.util.Set<String> used = new java.util.HashSet<>();
  private int read;
  private int remembered;

  private FileHashes(Path store) {
    this.store = store;
  }

  /**
   * @param store the file the hashes are kept in (null: remember nothing)
   * @return the hashes remembered there; an unreadable or foreign file is ignored
   */
  public static FileHashes load(Path store) {
    FileHashes h = new FileHashes(store);
    if (store != null && Files.isRegularFile(store)) {
      try {
        for (String line : Files.readAllLines(store, StandardCharsets.UTF_8)) {
          String[] f = line.split("\t", 5);
          if (f.length == 5 && f[3].matches("[0-9a-f]{64}")) {
            h.entries.put(f[4], new Entry(Long.parseLong(f[0]), Long.parseLong(f[1]),
                Long.parseLong(f[2]), f[3]));
          }
        }
      } catch (IOException | NumberFormatException e) {
        h.entries.clear(); // a damaged store only costs one full read
      }
    }
    return h;
  }

  /**
   * @param file a file
   * @return its SHA-256, lower-case hex
   * @throws IOException when it cannot be read
   */
  public String sha256(Path file) throws IOException {
    Path abs = file.toAbsolutePath().normalize();
    BasicFileAttributes a = Files.readAttributes(abs, BasicFileAttributes.class);
    long size = a.size();
    long modified = a.lastModifiedTime().toMillis();
    used.add(abs.toString());
    Entry e = entries.get(abs.toString());
    if (e != null && e.size() == size && e.modified() == modified
        && modified + RACY_MILLIS <= e.hashedAt()) {
      remembered++;
      return e.sha256();
    }
    long now = System.currentTimeMillis();
    String sha = Hashes.sha256(abs);
    read++;
    entries.put(abs.toString(), new Entry(size, modified, now, sha));
    return sha;
  }

  /**
   * Writes back the hashes of the files asked for in this build (atomically; files no longer in
   * the data set are dropped); failures only cost a re-read next time.
   */
  public void save() {
    if (store == null || (read == 0 && used.size() == entries.size())) {
      return;
    }
    entries.keySet().retainAll(used);
    List<String> lines = new ArrayList<>();
    entries.forEach((path, e) -> lines.add(e.size() + "\t" + e.modified() + "\t" + e.hashedAt()
        + "\t" + e.sha256() + "\t" + path));
    try {
      Files.createDirectories(store.getParent());
      Path tmp = dev.kiln.maven.files.TempFiles.create(store.getParent(), ".hashes.", ".tmp");
      Files.write(tmp, lines, StandardCharsets.UTF_8);
      Files.move(tmp, store, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException ignored) {
      // the store is an optimisation
    }
  }

  /** @return files whose bytes were read (hash missing or stale) */
  public int read() {
    return read;
  }

  /** @return files whose remembered hash was used */
  public int remembered() {
    return remembered;
  }
}
