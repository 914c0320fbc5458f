package dev.kiln.maven.fingerprint;

import dev.kiln.maven.files.TempFiles;
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
 * was hashed is hashed again (git's "racy clean" rule). Within one build a file is hashed at
 * most once: every later question about it gets the same answer (or the same failure), so the
 * fingerprint, the duplicate check and the hashes training holds its reads to all come from one
 * read.
 */
public final class FileHashes {

  /** How much older than the hash a file's timestamp must be for the entry to be trusted. */
  static final long RACY_MILLIS = 2_000;

  private record Entry(long size, long modified, long hashedAt, String sha256) {}

  private static final String TMP_PREFIX = ".hashes.";
  private static final String TMP_SUFFIX = ".tmp";

  private final Path store;
  private final Map<String, Entry> entries = new TreeMap<>();
  private final java.util.Set<String> used = new java.util.HashSet<>();
  /** This build's answers: a hash, or the failure to read the file. */
  private final Map<String, Object> answered = new java.util.HashMap<>();
  private boolean forgotten;
  private boolean rehash;
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
    Object earlier = answered.get(abs.toString());
    if (earlier instanceof IOException e) {
      throw e;
    } else if (earlier != null) {
      return (String) earlier;
    }
    try {
      String sha = hash(abs);
      answered.put(abs.toString(), sha);
      return sha;
    } catch (IOException e) {
      answered.put(abs.toString(), e);
      throw e;
    }
  }

  private String hash(Path abs) throws IOException {
    BasicFileAttributes a = Files.readAttributes(abs, BasicFileAttributes.class);
    long size = a.size();
    long modified = a.lastModifiedTime().toMillis();
    used.add(abs.toString());
    Entry e = entries.get(abs.toString());
    if (!rehash && e != null && e.size() == size && e.modified() == modified
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
    if (store == null || (read == 0 && !forgotten && used.size() == entries.size())) {
      return;
    }
    entries.keySet().retainAll(used);
    List<String> lines = new ArrayList<>();
    entries.forEach((path, e) -> lines.add(e.size() + "\t" + e.modified() + "\t" + e.hashedAt()
        + "\t" + e.sha256() + "\t" + path));
    try {
      Files.createDirectories(store.getParent());
      Path tmp = TempFiles.write(store.getParent(), TMP_PREFIX, TMP_SUFFIX,
          out -> out.write((String.join("\n", lines) + (lines.isEmpty() ? "" : "\n"))
              .getBytes(StandardCharsets.UTF_8))); // a failed write removes its temporary
      try {
        Files.move(tmp, store, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException ignored) {
      // the store is an optimisation
    }
  }

  /**
   * Removes the temporaries that failed or interrupted saves of a store left in its folder.
   *
   * @param store the hashes file
   * @return the files removed
   */
  public static List<Path> removeStale(Path store) {
    return TempFiles.removeStale(store.toAbsolutePath().getParent(), TMP_PREFIX, TMP_SUFFIX);
  }

  /**
   * Reads every file again instead of trusting a remembered hash ({@code -Dkiln.force}: a rebuild
   * from what is on disk, even where a file was rewritten with its old size and time); the new
   * hashes are remembered.
   *
   * @return this
   */
  public FileHashes rehashAll() {
    rehash = true;
    return this;
  }

  /**
   * Drops the remembered hashes of files whose content turned out to differ from them (a file
   * rewritten with its old size and time), so that the next build reads them again.
   *
   * @param files the files
   * @return this
   */
  public FileHashes forget(java.util.Collection<Path> files) {
    for (Path f : files) {
      String key = f.toAbsolutePath().normalize().toString();
      forgotten |= entries.remove(key) != null;
      answered.remove(key);
    }
    return this;
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
