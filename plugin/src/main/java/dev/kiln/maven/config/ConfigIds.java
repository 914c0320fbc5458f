package dev.kiln.maven.config;

import java.util.Arrays;
import java.util.Locale;

/** Configuration ids of enum settings: {@code FEATURE_EXTRACTOR} ↔ {@code feature-extractor}. */
final class ConfigIds {

  private ConfigIds() {}

  static String id(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * @param type the enum
   * @param id a configuration id or constant name, any case
   * @param what the setting, for the message
   * @return the constant
   * @throws IllegalArgumentException listing the valid ids
   */
  static <E extends Enum<E>> E parse(Class<E> type, String id, String what) {
    for (E e : type.getEnumConstants()) {
      if (id(e).equalsIgnoreCase(id.trim()) || e.name().equalsIgnoreCase(id.trim())) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown " + what + " '" + id + "'; valid: "
        + Arrays.stream(type.getEnumConstants()).map(ConfigIds::id).toList());
  }
}
