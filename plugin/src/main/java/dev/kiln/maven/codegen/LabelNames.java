package dev.kiln.maven.codegen;

import dev.kiln.maven.problem.UserProblemException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns label folder names into Java enum constant names, each from its label alone (never from
 * its neighbours, so adding a folder never changes what an existing constant means):
 * compatibility-decomposed (NFKD) and accents removed, ASCII letters and digits upper-cased, any
 * other letter, digit or symbol written as {@code U} and its code point in hex ({@code 🐝} →
 * {@code U1F41D}, {@code 日本} → {@code U65E5_U672C}), spaces and punctuation as {@code _}, a
 * leading digit prefixed with {@code _}; a label of punctuation only becomes {@code LABEL} and its
 * code points ({@code ---} → {@code LABEL_2D_2D_2D}). Two labels with the same constant are an
 * error naming both; so are two labels that differ only in case or Unicode normalisation
 * ({@link #checkDistinguishable}).
 */
public final class LabelNames {

  private LabelNames() {}

  /**
   * @param labels folder names, in model order
   * @return one distinct valid identifier per label, in the same order
   * @throws UserProblemException when two labels differ only in case or Unicode normalisation,
   *     or would get the same constant (the message names both and how to rename)
   */
  public static List<String> constants(List<String> labels) throws UserProblemException {
    checkDistinguishable(labels);
    List<String> out = new ArrayList<>();
    Map<String, String> labelOf = new HashMap<>();
    for (String label : labels) {
      String name = constant(label);
      String other = labelOf.putIfAbsent(name, label);
      if (other != null) {
        throw new UserProblemException("the label folders '" + other + "' and '" + label
            + "' would both be the generated constant Label." + name + "; rename one of the"
            + " folders so that their names differ in letters or digits, not only in"
            + " punctuation, spaces or accents (e.g. '" + label + "' to '" + label + " 2'), or"
            + " merge them if they hold the same kind of photo");
      }
      out.add(name);
    }
    return out;
  }

  /**
   * Fails for two labels equal after Unicode normalisation (NFC) and case folding: on macOS and
   * Windows they are one folder, so the same project trains another model there, and code that
   * names a label by its string cannot tell them apart.
   *
   * @param labels folder names
   * @throws UserProblemException naming both folders and what to do
   */
  public static void checkDistinguishable(List<String> labels) throws UserProblemException {
    Map<String, String> seen = new HashMap<>();
    for (String label : labels) {
      String nfc = Normalizer.normalize(label, Normalizer.Form.NFC);
      String key = nfc.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
      String other = seen.putIfAbsent(key, label);
      if (other == null) {
        continue;
      }
      String how = Normalizer.normalize(other, Normalizer.Form.NFC).equals(nfc)
          ? "are the same name written in two Unicode normalisation forms (" + codePoints(other)
              + " and " + codePoints(label) + ")"
          : "differ only in upper and lower case";
      throw new UserProblemException("the label folders '" + other + "' and '" + label + "' "
          + how + ": on macOS and Windows they are one folder, and a label named by its text"
          + " cannot tell them apart. Merge them into one folder, or rename one so that the"
          + " names differ in letters (e.g. '" + label + " 2')");
    }
  }

  private static String codePoints(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().forEach(c -> b.append(b.length() == 0 ? "" : " ")
        .append(c < 128 && c > 32 ? Character.toString(c) : String.format("U+%04X", c)));
    return b.toString();
  }

  static String constant(String label) {
    String plain = Normalizer.normalize(label, Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
    List<String> parts = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    for (int c : plain.codePoints().toArray()) {
      if (c < 128 && Character.isLetterOrDigit(c)) {
        word.append(Character.toUpperCase((char) c));
        continue;
      }
      if (word.length() > 0) {
        parts.add(word.toString());
        word.setLength(0);
      }
      if (c >= 128 && !separator(c)) {
        parts.add(String.format("U%04X", c));
      }
    }
    if (word.length() > 0) {
      parts.add(word.toString());
    }
    if (parts.isEmpty()) {
      StringBuilder b = new StringBuilder("LABEL");
      label.codePoints().forEach(c -> b.append(String.format("_%X", c)));
      return b.toString();
    }
    String s = String.join("_", parts);
    return Character.isDigit(s.charAt(0)) ? "_" + s : s;
  }

  /** Spaces, punctuation and controls: they become {@code _}. */
  private static boolean separator(int c) {
    return switch (Character.getType(c)) {
      case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
          Character.CONTROL, Character.FORMAT, Character.CONNECTOR_PUNCTUATION,
          Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION,
          Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION -> true;
      default -> false;
    };
  }

  /**
   * @param qualifiedName a class name such as {@code com.acme.pets.PetClassifier}
   * @return an error message, or null when it is a valid, non-reserved Java class name
   */
  public static String checkClassName(String qualifiedName) {
    if (qualifiedName == null || qualifiedName.isBlank()) {
      return "className is empty; set it to a fully qualified Java class name such as"
          + " com.acme.pets.PetClassifier";
    }
    String[] parts = qualifiedName.split("\\.", -1);
    for (String p : parts) {
      if (!javax.lang.model.SourceVersion.isIdentifier(p) || javax.lang.model.SourceVersion.isKeyword(p)) {
        return "className '" + qualifiedName + "' is not a valid Java class name ('" + p
            + "' is not an identifier); use something like com.acme.pets.PetClassifier";
      }
    }
    if (parts.length < 2) {
      return "className '" + qualifiedName + "' has no package; use something like"
          + " com.acme.pets." + qualifiedName;
    }
    if (!Character.isUpperCase(parts[parts.length - 1].charAt(0))) {
      return "className '" + qualifiedName + "' should end with a class name starting with an"
          + " upper-case letter, e.g. " + String.join(".", List.of(parts).subList(0, parts.length - 1))
          + "." + Character.toUpperCase(parts[parts.length - 1].charAt(0))
          + parts[parts.length - 1].substring(1);
    }
    return null;
  }
}
