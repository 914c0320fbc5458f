package dev.kiln.maven.codegen;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns label folder names into Java enum constant names: accents removed, anything else that is
 * not a letter or digit becomes {@code _}, upper case, a leading digit gets a {@code _} prefix,
 * collisions get {@code _2}, {@code _3}... The original names are kept beside them.
 */
public final class LabelNames {

  private LabelNames() {}

  /**
   * @param labels folder names, in model order
   * @return one distinct valid identifier per label, in the same order
   */
  public static List<String> constants(List<String> labels) {
    List<String> out = new ArrayList<>();
    Set<String> used = new HashSet<>();
    for (int i = 0; i < labels.size(); i++) {
      String base = constant(labels.get(i), i);
      String name = base;
      for (int n = 2; !used.add(name); n++) {
        name = base + "_" + n;
      }
      out.add(name);
    }
    return out;
  }

  static String constant(String label, int index) {
    String plain = Normalizer.normalize(label, Normalizer.Form.NFD).replaceAll("\\p{M}", "");
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < plain.length(); i++) {
      char c = plain.charAt(i);
      boolean ok = c < 128 && Character.isLetterOrDigit(c);
      if (ok) {
        b.append(Character.toUpperCase(c));
      } else if (b.length() > 0 && b.charAt(b.length() - 1) != '_') {
        b.append('_');
      }
    }
    String s = b.toString().replaceAll("_+$", "");
    if (s.isEmpty()) {
      return "LABEL_" + index;
    }
    if (Character.isDigit(s.charAt(0))) {
      s = "_" + s;
    }
    return s.toUpperCase(Locale.ROOT);
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
