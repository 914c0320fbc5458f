package dev.kiln.maven.config;

import dev.kiln.runtime.Device;
import java.util.Arrays;

/** Parsers of settings shared by several goals. */
public final class Settings {

  private Settings() {}

  /**
   * @param value {@code AUTO}, {@code CPU} or {@code CUDA}, any case
   * @return the device
   * @throws InvalidSettingException listing the valid ones
   */
  public static Device device(String value) {
    return Arrays.stream(Device.values())
        .filter(v -> value != null && v.name().equalsIgnoreCase(value.trim())).findFirst()
        .orElseThrow(() -> new InvalidSettingException("device", "unknown device '" + value
            + "'; valid: AUTO, CPU, CUDA"));
  }
}
