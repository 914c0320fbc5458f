package dev.kiln.maven.dataset;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where training reads its photos from, and what the build's fingerprint recorded of each: the
 * SHA-256 of the bytes it hashed, or {@link PhotoReads#UNREADABLE}. Every read during training is
 * held to that record ({@link #open()}).
 *
 * @param recorded SHA-256 per photo file (absolute, normalised), as the fingerprint saw it; a
 *     file not in it is held to its first read during training
 * @param reader how the bytes are read
 */
public record PhotoSource(Map<Path, String> recorded, PhotoReader reader) {

  /** The files on disk, nothing recorded (tests, benchmarks, the goals that do not train). */
  public static final PhotoSource FILES = new PhotoSource(Map.of(), PhotoReader.FILES);

  public PhotoSource {
    Objects.requireNonNull(reader, "reader");
    Map<Path, String> copy = new HashMap<>();
    recorded.forEach((file, sha) -> copy.put(PhotoReads.normal(file), Objects.requireNonNull(sha,
        "hash of " + file)));
    recorded = Map.copyOf(copy);
  }

  /** @return the files on disk, read through {@code reader} */
  public PhotoSource withReader(PhotoReader reader) {
    return new PhotoSource(recorded, reader);
  }

  /** @return the reads of one training run, each checked against the record and the others */
  public PhotoReads open() {
    return new PhotoReads(recorded, reader);
  }
}
