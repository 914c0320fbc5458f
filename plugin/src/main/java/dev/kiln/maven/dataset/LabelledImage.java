package dev.kiln.maven.dataset;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One image with its label.
 *
 * @param file absolute path
 * @param relativePath path relative to the dataset root, with {@code /} separators
 * @param label index into {@link Dataset#labels()}
 */
public record LabelledImage(Path file, String relativePath, int label) {
  public LabelledImage {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(relativePath, "relativePath");
    if (label < 0) {
      throw new IllegalArgumentException("label index must be >= 0");
    }
  }
}
