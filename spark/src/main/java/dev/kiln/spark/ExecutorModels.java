package dev.kiln.spark;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import dev.kiln.runtime.internal.Sessions;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What each executor JVM keeps: one {@link ImageClassifier} or feature session per model (keyed by
 * the model's SHA-256), loaded on first use from the broadcast bytes, shared by the JVM's tasks
 * (ONNX Runtime sessions are thread-safe) and closed when the JVM ends; {@link SessionLog}
 * records both where asked to.
 */
final class ExecutorModels {

  private static final Map<String, AutoCloseable> LOADED = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll,
        "kiln-models-close"));
  }

  private ExecutorModels() {}

  /**
   * Closes every model this JVM loaded (the executor is ending; a later use loads it again) and
   * says so on stderr. Logging is not used: Spark stops log4j in its own shutdown hook. (A
   * standalone worker stops copying an executor's stderr to its file before it terminates the
   * executor, so the line is often missing from that file; the sessions are closed all the same.)
   */
  static void closeAll() {
    int closed = 0;
    for (Map.Entry<String, AutoCloseable> m : LOADED.entrySet()) {
      try {
        m.getValue().close();
        closed++;
        SessionLog.record("closed", m.getKey());
      } catch (Exception ignored) {
        // the JVM is ending
      }
    }
    LOADED.clear();
    if (closed > 0) {
      System.err.println("kiln-spark: closed " + closed + " ONNX Runtime session(s) as the JVM"
          + " ends");
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends AutoCloseable> T get(String key, Supplier<T> load) {
    return (T) LOADED.computeIfAbsent(key, k -> {
      T loaded = load.get();
      SessionLog.record("opened", k);
      return loaded;
    });
  }

  /** @return the classifier of the model with that SHA-256, loaded once per JVM */
  static ImageClassifier classifier(String sha256, Supplier<byte[]> bytes) {
    return get("classifier:" + sha256, () -> {
      try {
        return ImageClassifier.load(bytes.get(), "kiln model " + sha256.substring(0, 12),
            ClassifierOptions.defaults());
      } catch (KilnException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    });
  }

  /** @return the feature session of the model with that SHA-256, loaded once per JVM */
  static Features features(String sha256, Supplier<byte[]> bytes, String output,
      Preprocessing spec) {
    return get("features:" + sha256 + ":" + output + ":" + spec.toSpec(), () -> {
      try {
        return new Features(Sessions.open(bytes.get(), "featurizer " + sha256.substring(0, 12),
            ClassifierOptions.defaults()).session(), output, spec);
      } catch (KilnException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    });
  }

  /** A featurizer: fitted images in, one feature row per image out. */
  static final class Features implements AutoCloseable {
    private final OrtSession session;
    private final String input;
    private final String output;
    private final Preprocessing spec;

    Features(OrtSession session, String output, Preprocessing spec) {
      this.session = session;
      this.input = session.getInputNames().iterator().next();
      this.output = output;
      this.spec = spec;
    }

    float[][] run(List<BufferedImage> fitted) throws KilnException {
      int size = spec.tensorSize();
      float[] x = new float[fitted.size() * size];
      for (int i = 0; i < fitted.size(); i++) {
        Preprocessor.writeTensor(fitted.get(i), spec, x, i * size);
      }
      long[] shape = {fitted.size(), 3, spec.height(), spec.width()};
      try (OnnxTensor t = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
          FloatBuffer.wrap(x), shape);
          OrtSession.Result r = session.run(Map.of(input, t), java.util.Set.of(output))) {
        FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
        int width = out.remaining() / fitted.size();
        float[][] rows = new float[fitted.size()][width];
        for (float[] row : rows) {
          out.get(row);
        }
        return rows;
      } catch (OrtException e) {
        throw new KilnException(KilnException.Reason.INFERENCE_FAILED, "featurizer: "
            + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      Sessions.closeQuietly(session);
    }
  }
}
