package dev.kiln.runtime.internal;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.KilnException.Reason;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Opens ONNX Runtime sessions on the requested device. CUDA is decided by trying: ONNX Runtime
 * lists the CUDA provider even where no GPU or CUDA library exists, and only adding it tells.
 * Public for Kiln's build-time engine, which runs frozen network parts the same way.
 */
public final class Sessions {

  private static final Logger LOG = Logger.getLogger(Sessions.class.getName());

  /**
   * An open session and the device it really runs on.
   *
   * @param session the ONNX Runtime session (caller closes it)
   * @param device CPU or CUDA
   */
  public record Opened(OrtSession session, Device device) {}

  private Sessions() {}

  /**
   * @param model ONNX bytes
   * @param name how messages name the model
   * @param options device and threads (other fields unused)
   * @return the session and its device
   * @throws KilnException when the model is invalid or CUDA was required and is absent
   */
  public static Opened open(byte[] model, String name, ClassifierOptions options)
      throws KilnException {
    return open(model, name, options, null);
  }

  /**
   * ONNX Runtime's session option naming the folder that a model loaded from bytes takes its
   * external data (weights kept beside the {@code .onnx} file) from; without it, the working
   * directory.
   */
  static final String EXTERNAL_DATA_FOLDER =
      "session.model_external_initializers_file_folder_path";

  /**
   * @param model ONNX bytes
   * @param name how messages name the model
   * @param options device and threads (other fields unused)
   * @param folder the folder the model file is in, where its external data (if any) is resolved;
   *     null for a model that is not a file (its external data is then resolved from the working
   *     directory)
   * @return the session and its device
   * @throws KilnException when the model is invalid or CUDA was required and is absent
   */
  public static Opened open(byte[] model, String name, ClassifierOptions options, Path folder)
      throws KilnException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    if (options.device() != Device.CPU) {
      try {
        return new Opened(create(env, model, options, folder, true), Device.CUDA);
      } catch (OrtException | RuntimeException | LinkageError e) {
        if (options.device() == Device.CUDA) {
          throw new KilnException(Reason.DEVICE_UNAVAILABLE, "CUDA was requested for model " + name
              + " but cannot be used (" + e.getMessage() + "). Use a machine with an NVIDIA GPU"
              + " and CUDA, put com.microsoft.onnxruntime:onnxruntime_gpu on the class path"
              + " instead of onnxruntime, or choose Device.AUTO or Device.CPU", e);
        }
        LOG.log(Level.FINE, "CUDA unavailable, using CPU: {0}", e.getMessage());
      }
    }
    try {
      return new Opened(create(env, model, options, folder, false), Device.CPU);
    } catch (OrtException | RuntimeException e) {
      boolean external = String.valueOf(e.getMessage()).contains("xternal data");
      throw new KilnException(Reason.MODEL_INVALID, "model " + name
          + " cannot be loaded by ONNX Runtime (" + e.getMessage() + "); " + (external
              ? "its external data (weights in a file beside the model) must be in the model's"
                  + " folder" + (folder != null && folder.toString().codePoints()
                      .anyMatch(Character::isSupplementaryCodePoint)
                      ? ", in a folder whose path has no characters outside the Basic"
                          + " Multilingual Plane (ONNX Runtime's Java binding cannot pass them)"
                      : "")
              : "is it a valid .onnx file?"), e);
    }
  }

  private static OrtSession create(OrtEnvironment env, byte[] model, ClassifierOptions options,
      Path folder, boolean cuda) throws OrtException {
    try (SessionOptions so = new SessionOptions()) {
      if (folder != null) {
        so.addConfigEntry(EXTERNAL_DATA_FOLDER, folder.toAbsolutePath().toString());
      }
      so.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
      if (options.threads() > 0) {
        so.setIntraOpNumThreads(options.threads());
      }
      if (cuda) {
        so.addCUDA(0);
      }
      return env.createSession(model, so);
    }
  }

  /** @param session closed, errors ignored */
  public static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      LOG.log(Level.FINE, "closing session", e);
    }
  }
}
