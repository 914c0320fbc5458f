package dev.kiln.maven.cam;

import java.util.Map;
import java.util.Objects;

/**
 * The class activation maps drawn for a report, or why none are.
 *
 * @param note what the maps show, or why none were drawn (the report prints it)
 * @param overlays per photo (relative path) its map over the photo; empty when none were drawn
 */
public record ActivationMaps(String note, Map<String, Overlay> overlays) {

  public ActivationMaps {
    Objects.requireNonNull(note, "note");
    overlays = Map.copyOf(overlays);
  }

  /**
   * @param image the photo as the model saw it with the map over it, as a {@code data:} URI
   * @param label the class whose map it is (the one the model believed)
   * @param probability the probability the model gave it
   */
  public record Overlay(String image, String label, double probability) {
    public Overlay {
      if (!image.startsWith("data:image/")) {
        throw new IllegalArgumentException("an overlay is an inline image");
      }
    }
  }

  /** @return maps not drawn, for the reason given */
  public static ActivationMaps none(String why) {
    return new ActivationMaps(why, Map.of());
  }
}
