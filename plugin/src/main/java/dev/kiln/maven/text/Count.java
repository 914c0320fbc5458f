package dev.kiln.maven.text;

/** A count and its noun, singular for one: "1 photo", "0 photos", "2 photos". */
public final class Count {

  private Count() {}

  /**
   * @param n the count
   * @param singular the noun for one; the plural adds "s"
   * @return e.g. {@code "1 image"}, {@code "3 images"}
   */
  public static String of(long n, String singular) {
    return of(n, singular, singular + "s");
  }

  /**
   * @param n the count
   * @param singular the noun for one
   * @param plural the noun for any other count
   * @return e.g. {@code "1 copy"}, {@code "2 copies"}
   */
  public static String of(long n, String singular, String plural) {
    return n + " " + (n == 1 ? singular : plural);
  }
}
