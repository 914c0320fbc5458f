package dev.kiln.maven.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces files atomically: the bytes go to a temporary file in the same folder, are forced to
 * disk, then moved over the target. A failed or interrupted build leaves the previous file whole.
 */
public final class AtomicFiles {

  /** Suffix of the temporary files that precede a move. */
  static final String TMP_SUFFIX = ".tmp";

  private AtomicFiles() {}

  /** @return the prefix of {@code target}'s temporary files ({@code .<name>.}) */
  static String tmpPrefix(Path target) {
    return "." + target.getFileName() + ".";
  }

  /**
   * Removes the temporary files an interrupted {@link #write} of {@code target} left beside it
   * (a hidden {@code .<name>.*.tmp} in {@code target/classes} would otherwise ship in the jar).
   *
   * @param target a file written with {@link #write}
   * @return the files removed
   */
  public static java.util.List<Path> removeStale(Path target) {
    return TempFiles.removeStale(target.toAbsolutePath().getParent(), tmpPrefix(target),
        TMP_SUFFIX);
  }

  /**
   * @param target file to replace
   * @param bytes its new content
   * @throws IOException when writing fails (the target is untouched)
   */
  public static void write(Path target, byte[] bytes) throws IOException {
    Files.createDirectories(target.toAbsolutePath().getParent());
    Path tmp = TempFiles.create(target.toAbsolutePath().getParent(), tmpPrefix(target),
        TMP_SUFFIX);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * @param target file to replace
   * @param text its new UTF-8 content
   * @throws IOException when writing fails
   */
  public static void write(Path target, String text) throws IOException {
    write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
