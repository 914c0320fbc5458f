package dev.kiln.runtime;

import java.util.Objects;

/**
 * The one checked exception of the Kiln runtime. {@link #reason()} says what kind of problem it
 * is; the message names the file or setting concerned and what to do about it.
 */
public final class KilnException extends Exception {

  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Reason {
    /** The model file or classpath resource does not exist. */
    MODEL_NOT_FOUND,
    /** The model exists but is not a usable ONNX image classifier (or lacks Kiln metadata). */
    MODEL_INVALID,
    /** The image could not be read (I/O error, missing file). */
    IMAGE_UNREADABLE,
    /** The image is in a format no installed decoder handles. */
    IMAGE_FORMAT_UNSUPPORTED,
    /** The image is damaged: truncated or corrupt data. */
    IMAGE_CORRUPT,
    /** The image is valid but larger than Kiln decodes (a decompression bomb, or a huge scan). */
    IMAGE_TOO_LARGE,
    /** The requested device (e.g. CUDA) cannot be used in this process. */
    DEVICE_UNAVAILABLE,
    /**
     * ONNX Runtime failed while running the model, or the model's output is not a probability
     * per label (a NaN, say).
     */
    INFERENCE_FAILED,
    /** An argument or option is invalid. */
    INVALID_ARGUMENT
  }

  private final Reason reason;

  public KilnException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public KilnException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** @return what kind of problem this is */
  public Reason reason() {
    return reason;
  }

  @Override
  public String getMessage() {
    return "[" + reason + "] " + super.getMessage();
  }
}
