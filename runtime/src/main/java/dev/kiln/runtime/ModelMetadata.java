package dev.kiln.runtime;

import dev.kiln.runtime.image.Preprocessing;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Kiln model contract: what a {@code .onnx} file's {@code metadata_props} carry so that the
 * runtime (and the generated class) can use it without any other file. See
 * {@code docs/model-format.md}.
 *
 * @param formatVersion contract version ({@value #FORMAT_VERSION} for this runtime)
 * @param labels the output labels in order
 * @param preprocessing how images become the model's input
 * @param output whether the model's output is already a probability distribution
 * @param training training facts (backbone, mode, metrics JSON, date, ...), keys without prefix;
 *     informational text in which each character ONNX Runtime's Java binding cannot read back
 *     (NUL, and characters outside the Basic Multilingual Plane, such as an emoji in a backbone
 *     file name) is replaced by U+FFFD
 */
public record ModelMetadata(
    int formatVersion,
    List<String> labels,
    Preprocessing preprocessing,
    Output output,
    Map<String, String> training) {

  /** The contract version this runtime writes and reads. */
  public static final int FORMAT_VERSION = 1;

  public static final String KEY_FORMAT = "kiln.format";
  public static final String KEY_LABELS = "kiln.labels";
  public static final String KEY_PREPROCESSING = "kiln.preprocessing";
  public static final String KEY_OUTPUT = "kiln.output";
  public static final String TRAINING_PREFIX = "kiln.training.";

  /** What the model's output row is. */
  public enum Output {
    /** Softmax inside the graph: rows are used as they are. */
    PROBABILITIES,
    /** Raw scores: the runtime applies softmax. */
    LOGITS
  }

  public ModelMetadata {
    if (formatVersion < 1) {
      throw new IllegalArgumentException("formatVersion must be >= 1, was " + formatVersion);
    }
    labels = List.copyOf(Objects.requireNonNull(labels, "labels"));
    if (labels.isEmpty()) {
      throw new IllegalArgumentException("a classifier needs at least one label");
    }
    if (labels.stream().distinct().count() != labels.size()) {
      throw new IllegalArgumentException("labels must be distinct: " + labels);
    }
    Objects.requireNonNull(preprocessing, "preprocessing");
    Objects.requireNonNull(output, "output (valid: PROBABILITIES, LOGITS)");
    Map<String, String> facts = new LinkedHashMap<>();
    Objects.requireNonNull(training, "training").forEach((k, v) ->
        facts.put(readable(k), readable(v)));
    training = Map.copyOf(facts);
  }

  /** The text with NUL and characters outside the BMP replaced by U+FFFD (one per character). */
  private static String readable(String text) {
    Objects.requireNonNull(text, "training fact");
    if (text.chars().noneMatch(c -> c == 0 || Character.isSurrogate((char) c))) {
      return text;
    }
    StringBuilder b = new StringBuilder(text.length());
    text.codePoints().forEach(c -> b.appendCodePoint(c == 0 || c > 0xffff
        || Character.isSurrogate((char) c) ? 0xfffd : c));
    return b.toString();
  }

  /** @return the {@code metadata_props} entries, in a stable order */
  public Map<String, String> toProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(KEY_FORMAT, Integer.toString(formatVersion));
    p.put(KEY_LABELS, Json.stringArray(labels));
    p.put(KEY_PREPROCESSING, preprocessing.toSpec());
    p.put(KEY_OUTPUT, output.name().toLowerCase(java.util.Locale.ROOT));
    training.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> p.put(TRAINING_PREFIX + e.getKey(), e.getValue()));
    return p;
  }

  /**
   * Reads the contract from {@code metadata_props}.
   *
   * @param props the model's custom metadata
   * @param model how messages name the model
   * @return the metadata
   * @throws KilnException {@link KilnException.Reason#MODEL_INVALID} when keys are missing or bad
   */
  public static ModelMetadata fromProperties(Map<String, String> props, String model)
      throws KilnException {
    String format = props.get(KEY_FORMAT);
    if (format == null) {
      throw new KilnException(KilnException.Reason.MODEL_INVALID, "model " + model
          + " carries no Kiln metadata (" + KEY_FORMAT + "); for a third-party ONNX model pass "
          + "labels and preprocessing in ClassifierOptions");
    }
    try {
      int version = Integer.parseInt(format.trim());
      if (version > FORMAT_VERSION) {
        throw new KilnException(KilnException.Reason.MODEL_INVALID, "model " + model
            + " uses Kiln model format " + version + " but this runtime reads up to "
            + FORMAT_VERSION + "; upgrade kiln-runtime");
      }
      Map<String, String> training = new LinkedHashMap<>();
      props.forEach((k, v) -> {
        if (k.startsWith(TRAINING_PREFIX)) {
          training.put(k.substring(TRAINING_PREFIX.length()), v);
        }
      });
      return new ModelMetadata(
          version,
          Json.parseStringArray(require(props, KEY_LABELS, model)),
          Preprocessing.parse(require(props, KEY_PREPROCESSING, model)),
          Output.valueOf(props.getOrDefault(KEY_OUTPUT, "probabilities")
              .toUpperCase(java.util.Locale.ROOT)),
          training);
    } catch (RuntimeException e) { // IllegalArgumentException, or any other malformed value
      throw new KilnException(KilnException.Reason.MODEL_INVALID,
          "model " + model + " has invalid Kiln metadata: " + e.getMessage(), e);
    }
  }

  private static String require(Map<String, String> props, String key, String model) {
    String v = props.get(key);
    if (v == null) {
      throw new IllegalArgumentException("missing " + key + " in model " + model);
    }
    return v;
  }
}
