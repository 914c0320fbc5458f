package dev.kiln.maven.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Keeps the user-level feature cache under its size limit ({@code cacheMaxSize}) after a
 * training: the least recently used entries go first (an entry's modification time is refreshed
 * by {@link FeatureCache} on every hit). Entries used within {@link #KEEP_RECENT} always stay: a
 * build running beside this one may still read them.
 */
public final class FeatureCacheLimit {

  /** Entries used more recently than this are never removed. */
  static final Duration KEEP_RECENT = Duration.ofHours(1);

  /**
   * @param bytesBefore the cache's size before
   * @param bytesAfter its size after
   * @param removed entries removed
   */
  record Trim(long bytesBefore, long bytesAfter, int removed) {}

  private FeatureCacheLimit() {}

  /**
   * Trims the cache and says so when it removed anything. A cache that cannot be listed or
   * trimmed only costs disk space: the build goes on.
   *
   * @param dir the cache folder, or null for none
   * @param maxBytes the limit; 0 for none
   * @param listener progress
   */
  public static void apply(Path dir, long maxBytes, ProgressListener listener) {
    if (dir == null || maxBytes <= 0 || !Files.isDirectory(dir)) {
      return;
    }
    try {
      Trim t = trim(dir, maxBytes, Instant.now());
      if (t.removed() > 0) {
        listener.phase("features", String.format(Locale.ROOT, "feature cache %s over its %s"
            + " limit (cacheMaxSize): %s removed, %s left in %s",
            size(t.bytesBefore()), size(maxBytes), dev.kiln.maven.text.Count.of(t.removed(),
                "least recently used entry", "least recently used entries"),
            size(t.bytesAfter()), dir));
      } else if (t.bytesAfter() > maxBytes) {
        listener.debug("feature cache " + size(t.bytesAfter()) + " over its " + size(maxBytes)
            + " limit, but every entry was used within the last hour");
      }
    } catch (IOException | UncheckedIOException e) {
      listener.debug("feature cache not trimmed: " + e.getMessage());
    }
  }

  /** Removes the least recently used entries until the cache fits or only recent ones are left. */
  static Trim trim(Path dir, long maxBytes, Instant now) throws IOException {
    record Entry(Path file, long size, long used) {}
    List<Entry> entries = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir, 2)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().endsWith(".f32")) {
          try {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            if (a.isRegularFile()) {
              entries.add(new Entry(f, a.size(), a.lastModifiedTime().toMillis()));
            }
          } catch (IOException gone) {
            // removed by another build meanwhile
          }
        }
      }
    }
    long before = entries.stream().mapToLong(Entry::size).sum();
    long total = before;
    int removed = 0;
    long recent = now.minus(KEEP_RECENT).toEpochMilli();
    entries.sort(Comparator.comparingLong(Entry::used));
    for (Entry e : entries) {
      if (total <= maxBytes || e.used() >= recent) {
        break;
      }
      if (Files.deleteIfExists(e.file())) {
        removed++;
      }
      total -= e.size();
    }
    return new Trim(before, total, removed);
  }

  private static String size(long bytes) {
    return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30))
        : String.format(Locale.ROOT, "%.0f MB", bytes / (double) (1L << 20));
  }
}
