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
    List<Path> removed = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return removed;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        if (n.startsWith(prefix) && n.endsWith(suffix) && Files.isRegularFile(p)) {
          Files.deleteIfExists(p);
          removed.add(p);
        }
      }
    } catch (IOException e) {
      // best effort: a file we cannot list or delete is left for the next build
    }
    return removed;
  }
}
