package dev.kiln.maven.dataset;

import dev.kiln.maven.fingerprint.Hashes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The photo reads of one training run. Each read takes a photo's bytes once, into one buffer that
 * is both hashed and decoded, and is held to what the build knew of the photo before: the hash
 * its fingerprint recorded or, for a photo the fingerprint did not see, the first read of this
 * run. A read that contradicts that (the photo changed while the build was reading it) fails
 * with {@link ChangedException}; the photo is remembered in {@link #changed()} and the run fails
 * with {@link #requireUnchanged()} before anything is cached from that read or a model is written
 * under a fingerprint that no longer describes its photos. Thread-safe.
 */
public final class PhotoReads {

  /** What is recorded for a photo that could not be read. */
  public static final String UNREADABLE = dev.kiln.maven.fingerprint.Fingerprint.UNREADABLE;

  /**
   * Largest photo read (1 GiB): a bigger file is left out as too large without being read (no
   * decodable photo is near it; a 3 GB sparse file would not fit an array).
   */
  static final long MAX_BYTES = 1L << 30;

  /**
   * One read of a photo.
   *
   * @param file the photo
   * @param bytes its bytes as read
   * @param sha256 their SHA-256, lower-case hex
   */
  public record Photo(Path file, byte[] bytes, String sha256) {}

  /** A read that another read of the same build contradicts: the photo changed meanwhile. */
  public static final class ChangedException extends IOException {
    private final transient Photo photo;

    ChangedException(Path file, String before, String now, Photo photo) {
      super("photo " + file + " changed while the build was reading it (" + shortHash(before)
          + " before, " + shortHash(now) + " now)");
      this.photo = photo;
    }

    /** @return this read's bytes, or null when the file could not be read this time */
    public Photo photo() {
      return photo;
    }
  }

  private static final class TooLarge extends IOException {
    TooLarge(String message) {
      super(message);
    }
  }

  private final Map<Path, String> recorded;
  private final PhotoReader reader;
  private final Map<Path, String> first = new ConcurrentHashMap<>();
  private final Set<Path> changed = new ConcurrentSkipListSet<>();

  PhotoReads(Map<Path, String> recorded, PhotoReader reader) {
    this.recorded = recorded;
    this.reader = reader;
  }

  /**
   * @param file a photo
   * @return its bytes and their hash, from one read
   * @throws ChangedException when the bytes (or the failure to read them) contradict the
   *     fingerprint's record or an earlier read of this run
   * @throws IOException when the file cannot be read (consistently: it was unreadable before)
   *     or is larger than 1 GiB
   */
  public Photo read(Path file) throws IOException {
    Path key = normal(file);
    byte[] bytes;
    try {
      long size = Files.size(file);
      if (size > MAX_BYTES) { // its size, not its content: nothing to hold to the record
        throw new TooLarge(String.format(java.util.Locale.ROOT, "the file is too large (%,d"
            + " bytes; Kiln reads photos up to %,d)", size, MAX_BYTES));
      }
      bytes = reader.read(file);
    } catch (OutOfMemoryError e) {
      throw new TooLarge("the file is too large to read into this JVM's memory");
    } catch (TooLarge e) {
      throw e;
    } catch (IOException e) {
      check(key, UNREADABLE, null);
      throw e;
    }
    MessageDigest md = Hashes.sha256();
    md.update(bytes);
    Photo photo = new Photo(file, bytes, Hashes.hex(md));
    check(key, photo.sha256(), photo);
    return photo;
  }

  private void check(Path key, String now, Photo photo) throws ChangedException {
    String before = recorded.get(key);
    if (before == null) {
      before = first.putIfAbsent(key, now);
    }
    if (before != null && !before.equals(now)) {
      changed.add(key);
      throw new ChangedException(key, before, now, photo);
    }
  }

  /** @return the photos whose reads contradicted each other, sorted */
  public List<Path> changed() {
    return List.copyOf(changed);
  }

  /**
   * @throws ChangedPhotosException naming the photos that changed while the build read them
   */
  public void requireUnchanged() throws ChangedPhotosException {
    if (!changed.isEmpty()) {
      throw new ChangedPhotosException(changed());
    }
  }

  /** @return the form photo files are recorded under: absolute and normalised */
  static Path normal(Path file) {
    return file.toAbsolutePath().normalize();
  }

  private static String shortHash(String sha) {
    return sha.length() > 12 ? "SHA-256 " + sha.substring(0, 12) + "…" : sha;
  }
}
