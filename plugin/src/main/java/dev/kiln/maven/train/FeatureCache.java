package dev.kiln.maven.train;

import dev.kiln.maven.files.TempFiles;
import dev.kiln.maven.fingerprint.Hashes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;

/**
 * Frozen-backbone outputs on disk, content-addressed: the key is the SHA-256 of the image bytes
 * that were decoded (read once, hashed and decoded from the same buffer), the backbone weights,
 * the cut layer, the preprocessing spec and the augmentation variant. A later build that adds
 * ten photos computes ten; a changed photo gets a new key. Entries are written atomically (a
 * failed write leaves no temporary); an unreadable entry is treated as a miss. A hit refreshes the
 * entry's modification time (once per build), which {@link FeatureCacheLimit} reads as its last
 * use.
 */
final class FeatureCache {

  private final Path dir;
  private final String context;
  private final java.util.Set<String> touched = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * @param dir cache folder (created on first write)
   * @param backboneSha256 the weights file's hash
   * @param cutLayer the last frozen layer
   * @param preprocessing the preprocessing spec
   */
  FeatureCache(Path dir, String backboneSha256, String cutLayer, String preprocessing) {
    this.dir = dir;
    this.context = backboneSha256 + "|" + cutLayer + "|" + preprocessing;
  }

  /**
   * @param imageSha256 the SHA-256 of the image bytes the row is computed from: the very bytes
   *     decoded, never those of an earlier read of the file
   * @param variant augmentation variant id ("" for the plain image)
   * @return the cache key
   */
  String key(String imageSha256, String variant) {
    MessageDigest md = Hashes.sha256();
    md.update((imageSha256 + "|" + context + "|" + variant).getBytes(StandardCharsets.UTF_8));
    return Hashes.hex(md);
  }

  /** @return the cached row, or null on a miss */
  float[] get(String key) {
    Path f = file(key);
    try {
      if (!Files.isRegularFile(f)) {
        return null;
      }
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
      touch(key, f);
      float[] row = new float[b.remaining() / 4];
      b.asFloatBuffer().get(row);
      return row.length == 0 ? null : row;
    } catch (IOException e) {
      return null;
    }
  }

  /** @return true when an entry exists for the key */
  boolean contains(String key) {
    Path f = file(key);
    if (!Files.isRegularFile(f)) {
      return false;
    }
    touch(key, f);
    return true;
  }

  /** Marks an entry as used now: the size limit removes the least recently used first. */
  private void touch(String key, Path f) {
    if (touched.add(key)) {
      try {
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(
            System.currentTimeMillis()));
      } catch (IOException e) {
        // an entry whose time cannot be set is only evicted earlier
      }
    }
  }

  /** @return true when the row was written (false: it could not be, e.g. a full disk) */
  boolean put(String key, float[] row) {
    Path f = file(key);
    try {
      Files.createDirectories(f.getParent());
      ByteBuffer b = ByteBuffer.allocate(row.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(row);
      Path tmp = TempFiles.write(f.getParent(), ".", TMP_SUFFIX,
          TempFiles.Content.of(b.array())); // a failed write removes its temporary
      try {
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return true;
    } catch (IOException e) {
      return false; // a cache that cannot be written only costs time next build
    }
  }

  /** Suffix of the temporaries that precede an entry's move into place. */
  static final String TMP_SUFFIX = ".tmp";

  /**
   * How old a temporary must be before a build removes it: the cache may be shared by builds
   * running at once, and a younger one may be another build's write in progress.
   */
  static final java.time.Duration STALE = java.time.Duration.ofHours(1);

  /**
   * Removes the temporaries that failed or interrupted writes (a full disk, a killed build) left
   * in the cache's folders, when older than {@link #STALE}.
   *
   * @param dir the cache folder
   * @return the files removed
   */
  static java.util.List<Path> removeStale(Path dir) {
    java.util.List<Path> removed = new java.util.ArrayList<>();
    if (dir == null || !Files.isDirectory(dir)) {
      return removed;
    }
    java.time.Instant before = java.time.Instant.now().minus(STALE);
    removed.addAll(TempFiles.removeStale(dir, ".", TMP_SUFFIX, before));
    try (java.util.stream.Stream<Path> shards = Files.list(dir)) {
      for (Path shard : shards.filter(Files::isDirectory).toList()) {
        removed.addAll(TempFiles.removeStale(shard, ".", TMP_SUFFIX, before));
      }
    } catch (IOException e) {
      // left for the next build
    }
    return removed;
  }

  private Path file(String key) {
    return dir.resolve(key.substring(0, 2)).resolve(key + ".f32");
  }
}
