package dev.kiln.maven.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How training reads a photo's bytes: once per use, the same buffer hashed and decoded ({@link
 * PhotoReads}). The seam through which a test changes a file between two reads.
 */
@FunctionalInterface
public interface PhotoReader {

  /** Reads the file from disk. */
  PhotoReader FILES = Files::readAllBytes;

  /**
   * @param file the photo
   * @return all its bytes
   * @throws IOException when it cannot be read
   */
  byte[] read(Path file) throws IOException;
}
