package dev.kiln.runtime.internal;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.KilnException.Reason;
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
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    if (options.device() != Device.CPU) {
      try {
        return new Opened(create(env, model, options, true), Device.CUDA);
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
      return new Opened(create(env, model, options, false), Device.CPU);
    } catch (OrtException | RuntimeException e) {
      throw new KilnException(Reason.MODEL_INVALID, "model " + name
          + " cannot be loaded by ONNX Runtime (" + e.getMessage()
          + "); is it a valid .onnx file?", e);
    }
  }

  private static OrtSession create(OrtEnvironment env, byte[] model, ClassifierOptions options,
      boolean cuda) throws OrtException {
    try (SessionOptions so = new SessionOptions()) {
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
