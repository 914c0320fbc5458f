package dev.kiln.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * The little JSON the model contract needs: arrays of strings. Package-private.
 *
 * <p>What it writes is ASCII: every character outside printable ASCII is a JSON unicode escape
 * (backslash, {@code u}, four hex digits; a character outside the Basic Multilingual Plane as the
 * escapes of its two UTF-16 surrogates), because ONNX Runtime's Java binding reads {@code metadata_props} through JNI's
 * modified UTF-8 and garbles 4-byte UTF-8 sequences. It reads both that and raw UTF-8 (older
 * models).
 */
final class Json {

  private Json() {}

  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  static String stringArray(List<String> values) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(quote(values.get(i)));
    }
    return b.append(']').toString();
  }

  static List<String> parseStringArray(String json) {
    List<String> out = new ArrayList<>();
    int i = skip(json, 0);
    expect(json, i, '[');
    i = skip(json, i + 1);
    if (i < json.length() && json.charAt(i) == ']') {
      return out;
    }
    while (true) {
      expect(json, i, '"');
      StringBuilder s = new StringBuilder();
      i++;
      while (true) {
        if (i >= json.length()) {
          throw new IllegalArgumentException("unterminated string in " + json);
        }
        char c = json.charAt(i++);
        if (c == '"') {
          break;
        }
        if (c == '\\') {
          if (i >= json.length()) {
            throw new IllegalArgumentException("unterminated escape in " + json);
          }
          char e = json.charAt(i++);
          switch (e) {
            case 'n' -> s.append('\n');
            case 'r' -> s.append('\r');
            case 't' -> s.append('\t');
            case 'b' -> s.append('\b');
            case 'f' -> s.append('\f');
            case 'u' -> {
              s.append(hex4(json, i));
              i += 4;
            }
            default -> s.append(e);
          }
        } else {
          s.append(c);
        }
      }
      out.add(s.toString());
      i = skip(json, i);
      if (i < json.length() && json.charAt(i) == ',') {
        i = skip(json, i + 1);
        continue;
      }
      expect(json, i, ']');
      return out;
    }
  }

  private static char hex4(String json, int i) {
    if (i + 4 > json.length()) {
      throw new IllegalArgumentException("incomplete \\u escape at " + (i - 2) + " in " + json);
    }
    int v = 0;
    for (int k = i; k < i + 4; k++) {
      int d = Character.digit(json.charAt(k), 16);
      if (d < 0) {
        throw new IllegalArgumentException("invalid \\u escape at " + (i - 2) + " in " + json);
      }
      v = v * 16 + d;
    }
    return (char) v;
  }

  private static int skip(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static void expect(String s, int i, char c) {
    if (i >= s.length() || s.charAt(i) != c) {
      throw new IllegalArgumentException("expected '" + c + "' at " + i + " in " + s);
    }
  }
}
