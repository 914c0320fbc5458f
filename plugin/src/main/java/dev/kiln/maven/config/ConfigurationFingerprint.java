package dev.kiln.maven.config;

import dev.kiln.runtime.internal.Augmentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fingerprint's configuration inputs, derived from a {@link TrainConfiguration}: every
 * component marked {@link ModelInput}, as {@code group.name → value}. A component marked
 * neither way is a programming error (a new setting without a decision) and fails here and in
 * the tests.
 */
public final class ConfigurationFingerprint {

  private ConfigurationFingerprint() {}

  /**
   * @param c the configuration
   * @return the values that can change the model, by {@code group.name}, in declaration order
   * @throws IllegalStateException when a component carries no decision
   */
  public static Map<String, String> inputs(TrainConfiguration c) {
    Map<String, String> out = new LinkedHashMap<>();
    for (RecordComponent group : TrainConfiguration.class.getRecordComponents()) {
      Object value = get(group, c);
      for (RecordComponent field : group.getType().getRecordComponents()) {
        boolean in = field.isAnnotationPresent(ModelInput.class);
        boolean out2 = field.isAnnotationPresent(NotModelInput.class);
        if (in == out2) {
          throw new IllegalStateException("configuration component " + group.getName() + "."
              + field.getName() + " must be marked either @ModelInput or @NotModelInput");
        }
        if (in) {
          out.put(group.getName() + "." + field.getName(), text(get(field, value)));
        }
      }
    }
    return out;
  }

  private static String text(Object v) {
    if (v instanceof Augmentation a) {
      return a.toSpec();
    }
    if (v instanceof Enum<?> e) {
      return e.name();
    }
    return String.valueOf(v);
  }

  private static Object get(RecordComponent component, Object target) {
    try {
      return component.getAccessor().invoke(target);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException(e);
    }
  }
}
