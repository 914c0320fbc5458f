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
   * @throws IOException when writing fails (the target is untouched); its message names the
   *     target and says when the disk is full
   */
  public static void write(Path target, byte[] bytes) throws IOException {
    write(target, TempFiles.Content.of(bytes));
  }

  /**
   * @param target file to replace
   * @param content writes its new content (the seam through which a test fails a write midway)
   * @throws IOException when writing fails (the target is untouched, no temporary file stays);
   *     its message names the target and says when the disk is full
   */
  public static void write(Path target, TempFiles.Content content) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = TempFiles.create(dir, tmpPrefix(target), TMP_SUFFIX);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        java.io.OutputStream out = java.nio.channels.Channels.newOutputStream(ch);
        content.writeTo(out);
        out.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw failure(target, e);
    } finally {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /**
   * @return an exception whose message names the file being written and, when the disk is full,
   *     says so (the JDK's "No space left on device" names no file)
   */
  static IOException failure(Path target, IOException e) {
    String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (diskFull(e)) {
      return new IOException("cannot write " + target + ": the disk is full (" + why
          + "); free space on that disk and build again", e);
    }
    return new IOException("cannot write " + target + ": " + why, e);
  }

  /** @return true when the failure is a full disk (ENOSPC, Windows' "not enough space") */
  public static boolean diskFull(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(java.util.Locale.ROOT);
      if (m.contains("no space left") || m.contains("not enough space")
          || m.contains("disk quota exceeded")) {
        return true;
      }
    }
    return false;
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
