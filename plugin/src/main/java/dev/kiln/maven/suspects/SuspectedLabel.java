package dev.kiln.maven.suspects;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A photo whose given label is probably wrong.
 *
 * @param path the photo, relative to the images folder
 * @param label the label it was given (its folder)
 * @param suggested the label the model believes
 * @param confidence the probability the model gives the suggested label
 * @param givenProbability the probability the model gives the photo's own label
 * @param margin {@code confidence - givenProbability}: the list is ordered by it, largest first
 */
public record SuspectedLabel(
    @JsonProperty("path") String path,
    @JsonProperty("label") String label,
    @JsonProperty("suggested") String suggested,
    @JsonProperty("confidence") double confidence,
    @JsonProperty("givenProbability") double givenProbability,
    @JsonProperty("margin") double margin) {

  public SuspectedLabel {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(suggested, "suggested");
    if (label.equals(suggested)) {
      throw new IllegalArgumentException("a suspect's suggested label differs from its own");
    }
    if (!(confidence >= 0 && confidence <= 1 && givenProbability >= 0 && givenProbability <= 1)) {
      throw new IllegalArgumentException("probabilities lie in [0, 1]");
    }
  }
}
