package dev.kiln.maven.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A size setting such as {@code 2GB}, {@code 500MB} or {@code 0}: binary units (1 KB = 1024). */
public final class ByteSize {

  private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(|B|K|KB|M|MB|G|GB|T|TB)");

  private ByteSize() {}

  /**
   * @param text e.g. {@code 2GB}, {@code 750MB}, {@code 0}
   * @return the size in bytes
   * @throws IllegalArgumentException naming the valid forms
   */
  public static long parse(String text) {
    Matcher m = FORM.matcher(text == null ? "" : text.trim().toUpperCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size; use a whole number with"
          + " KB, MB, GB or TB (e.g. 2GB, 500MB), or 0 for no limit");
    }
    int shift = switch (m.group(2)) {
      case "K", "KB" -> 10;
      case "M", "MB" -> 20;
      case "G", "GB" -> 30;
      case "T", "TB" -> 40;
      default -> 0;
    };
    long n = Long.parseLong(m.group(1));
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
    return n << shift;
  }
}
