package dev.kiln.maven.suspects;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A photo that looks like few of the others: a placeholder, a screenshot, a photo of something
 * no label is about. Its label cannot be "wrong" in the confident-learning sense (no other label
 * fits it better), so {@link ConfidentLearning} does not list it.
 *
 * @param path the photo, relative to the images folder
 * @param label the label it was given (its folder)
 * @param distance its mean cosine distance to its nearest photos in the backbone's features
 * @param typical the median of that distance over all photos
 * @param spread how far above the upper quartile it lies, in interquartile ranges
 */
public record UnusualPhoto(
    @JsonProperty("path") String path,
    @JsonProperty("label") String label,
    @JsonProperty("distance") double distance,
    @JsonProperty("typical") double typical,
    @JsonProperty("spread") double spread) {

  public UnusualPhoto {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(label, "label");
    if (!(distance >= 0 && typical >= 0)) {
      throw new IllegalArgumentException("distances are not negative");
    }
  }
}
