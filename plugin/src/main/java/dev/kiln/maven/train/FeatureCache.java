package dev.kiln.maven.train;

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
 * Frozen-backbone outputs on disk, content-addressed: the key is the SHA-256 of the image bytes,
 * the backbone weights, the cut layer, the preprocessing spec and the augmentation variant. A
 * later build that adds ten photos computes ten; a changed photo gets a new key. Entries are
 * written atomically; an unreadable entry is treated as a miss.
 */
final class FeatureCache {

  private final Path dir;
  private final String context;

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
   * @param image the image file
   * @param variant augmentation variant id ("" for the plain image)
   * @return the cache key
   * @throws IOException when the image cannot be read
   */
  String key(Path image, String variant) throws IOException {
    MessageDigest md = Hashes.sha256();
    Hashes.update(md, image);
    md.update((context + "|" + variant).getBytes(StandardCharsets.UTF_8));
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
      float[] row = new float[b.remaining() / 4];
      b.asFloatBuffer().get(row);
      return row.length == 0 ? null : row;
    } catch (IOException e) {
      return null;
    }
  }

  /** @return true when an entry exists for the key */
  boolean contains(String key) {
    return Files.isRegularFile(file(key));
  }

  /** @return true when the row was written (false: it could not be, e.g. a full disk) */
  boolean put(String key, float[] row) {
    Path f = file(key);
    try {
      Files.createDirectories(f.getParent());
      ByteBuffer b = ByteBuffer.allocate(row.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(row);
      Path tmp = dev.kiln.maven.files.TempFiles.create(f.getParent(), ".", ".tmp");
      Files.write(tmp, b.array());
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return true;
    } catch (IOException e) {
      return false; // a cache that cannot be written only costs time next build
    }
  }

  private Path file(String key) {
    return dir.resolve(key.substring(0, 2)).resolve(key + ".f32");
  }
}
