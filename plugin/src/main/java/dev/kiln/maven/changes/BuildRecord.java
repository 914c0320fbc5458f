package dev.kiln.maven.changes;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a build keeps of its photos so that the next build can say what changed: every photo's
 * path, content hash (SHA-256) and label, and, for the photos its evaluation rests on, the honest
 * prediction (out-of-fold or held-out: never by a head that trained on the photo). Stored as
 * {@code predictions.json} beside {@code metrics.json}, part of the accepted model's set.
 *
 * @param modelSha256 the SHA-256 of the model these predictions describe (the next build trusts
 *     the record only when it is the kept model's)
 * @param source which photos were predicted, by what, in words
 * @param labels the model's labels, in order
 * @param photos every photo of the build, sorted by path
 */
public record BuildRecord(
    @JsonProperty("modelSha256") String modelSha256,
    @JsonProperty("source") String source,
    @JsonProperty("labels") List<String> labels,
    @JsonProperty("photos") List<Photo> photos) {

  /** The file name, in Kiln's work folder. */
  public static final String FILE = "predictions.json";

  public BuildRecord {
    Objects.requireNonNull(modelSha256, "modelSha256");
    Objects.requireNonNull(source, "source");
    labels = List.copyOf(labels);
    List<Photo> sorted = new ArrayList<>(photos);
    sorted.sort(Comparator.comparing(Photo::path));
    photos = List.copyOf(sorted);
  }

  /**
   * One photo.
   *
   * @param path relative to the images folder, with {@code /}
   * @param sha256 its content hash
   * @param label the label it was given (its folder)
   * @param predicted the label its honest prediction believed; null when the build's evaluation
   *     does not rest on this photo (it trained the head that predicted the others)
   * @param probability the probability that prediction gave the photo's own label; null with
   *     {@code predicted}
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Photo(
      @JsonProperty("path") String path,
      @JsonProperty("sha256") String sha256,
      @JsonProperty("label") String label,
      @JsonProperty("predicted") String predicted,
      @JsonProperty("probability") Double probability) {
    public Photo {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(sha256, "sha256");
      Objects.requireNonNull(label, "label");
      if ((predicted == null) != (probability == null)) {
        throw new IllegalArgumentException("a prediction has a label and a probability: " + path);
      }
    }

    /** @return true when the build has an honest prediction for it */
    public boolean predictedHonestly() {
      return predicted != null;
    }

    /** @return true when the honest prediction is the photo's own label */
    public boolean right() {
      return label.equals(predicted);
    }
  }

  /**
   * A prediction of one photo.
   *
   * @param path relative path
   * @param predicted the label believed
   * @param probability the probability given to the photo's own label
   */
  public record Prediction(String path, String predicted, double probability) {}

  /**
   * @param modelSha256 the model's SHA-256
   * @param source which photos were predicted, by what
   * @param labels label names
   * @param photos every photo: relative path → label name
   * @param hashes every photo: relative path → SHA-256 (a photo without one is left out: it was
   *     unreadable)
   * @param predictions the honest predictions
   * @return the record
   */
  public static BuildRecord of(String modelSha256, String source, List<String> labels,
      Map<String, String> photos, Map<String, String> hashes, List<Prediction> predictions) {
    Map<String, Prediction> byPath = new java.util.HashMap<>();
    predictions.forEach(p -> byPath.put(p.path(), p));
    List<Photo> out = new ArrayList<>();
    photos.forEach((path, label) -> {
      String sha = hashes.get(path);
      if (sha != null) {
        Prediction p = byPath.get(path);
        out.add(new Photo(path, sha, label, p == null ? null : p.predicted(),
            p == null ? null : p.probability()));
      }
    });
    return new BuildRecord(modelSha256, source, labels, out);
  }

  /** @return the record as JSON (UTF-8) */
  public byte[] toJson() {
    try {
      return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * @param file a stored record
   * @return it, or null when it is absent or unreadable (a build before this one kept none: there
   *     is nothing to compare with)
   */
  public static BuildRecord read(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .readValue(file.toFile(), BuildRecord.class);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
