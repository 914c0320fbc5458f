package dev.kiln.maven.files;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Temporary files beside their final place. Unlike {@link Files#createTempFile}, which makes
 * owner-only files (0600), these get the permissions the user's umask gives any new file, so a
 * file moved into a shared cache or into {@code target/} reads like every other output.
 */
public final class TempFiles {

  private TempFiles() {}

  /** What goes into a temporary file: the seam through which a write can fail midway. */
  @FunctionalInterface
  public interface Content {
    /**
     * @param out the temporary file's stream (closed by the caller)
     * @throws IOException when writing fails, e.g. a full disk
     */
    void writeTo(java.io.OutputStream out) throws IOException;

    /** @return content that is these bytes */
    static Content of(byte[] bytes) {
      return out -> out.write(bytes);
    }
  }

  /**
   * Creates a temporary file and writes it; a write that fails (a full disk) deletes the
   * temporary file before the exception leaves, so no half-written or empty file stays behind.
   *
   * @param dir the folder (created when missing)
   * @param prefix name prefix
   * @param suffix name suffix
   * @param content what to write
   * @return the written temporary file, for the caller to move into place (and delete if that
   *     fails)
   * @throws IOException when the folder or the file cannot be written
   */
  public static Path write(Path dir, String prefix, String suffix, Content content)
      throws IOException {
    Path tmp = create(dir, prefix, suffix);
    boolean written = false;
    try {
      try (java.io.OutputStream out = Files.newOutputStream(tmp)) {
        content.writeTo(out);
      }
      written = true;
      return tmp;
    } finally {
      if (!written) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /**
   * @param dir the folder (created when missing)
   * @param prefix name prefix, e.g. {@code .model.onnx.}
   * @param suffix name suffix, e.g. {@code .tmp}
   * @return a new empty file {@code <prefix><random><suffix>}
   * @throws IOException when the folder cannot be written
   */
  public static Path create(Path dir, String prefix, String suffix) throws IOException {
    Files.createDirectories(dir);
    while (true) {
      Path p = dir.resolve(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(),
          36) + suffix);
      try {
        return Files.createFile(p);
      } catch (FileAlreadyExistsException e) {
        // another name
      }
    }
  }

  /**
   * Removes what an interrupted write left: files named {@code <prefix>…<suffix>}.
   *
   * @param dir the folder (nothing happens when it does not exist)
   * @return the files removed
   */
  public static List<Path> removeStale(Path dir, String prefix, String suffix) {
    return removeStale(dir, prefix, suffix, null);
  }

  /**
   * As {@link #removeStale(Path, String, String)}, only files last modified before {@code
   * before}: in a folder that concurrent builds share (a feature cache), a temporary younger than
   * that may be another build's write in progress.
   *
   * @param before the moment a temporary must be older than (null: any age)
   * @return the files removed
   */
  public static List<Path> removeStale(Path dir, String prefix, String suffix,
      java.time.Instant before) {
    List<Path> removed = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return removed;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        try {
          if (n.startsWith(prefix) && n.endsWith(suffix) && Files.isRegularFile(p)
              && (before == null || Files.getLastModifiedTime(p).toInstant().isBefore(before))
              && Files.deleteIfExists(p)) {
            removed.add(p);
          }
        } catch (IOException e) {
          // this one is left for the next build
        }
      }
    } catch (IOException e) {
      // best effort: a file we cannot list or delete is left for the next build
    }
    return removed;
  }
}
