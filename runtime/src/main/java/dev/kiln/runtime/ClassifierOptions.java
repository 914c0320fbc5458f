package dev.kiln.runtime;

import dev.kiln.runtime.image.Preprocessing;
import java.util.List;
import java.util.Objects;

/**
 * How to load a classifier. Start from {@link #defaults()} and change with the {@code with...}
 * methods. Labels, preprocessing and output override the model's Kiln metadata; they are required
 * for third-party ONNX models, which carry none.
 *
 * @param device where to run (default {@link Device#AUTO})
 * @param labels output labels, or null to read them from the model
 * @param preprocessing input preprocessing, or null to read it from the model
 * @param output whether outputs are probabilities or logits, or null for the model's metadata
 *     (third-party models: detected per row)
 * @param threads intra-op threads for the CPU, 0 for ONNX Runtime's default (all cores)
 */
public record ClassifierOptions(
    Device device,
    List<String> labels,
    Preprocessing preprocessing,
    ModelMetadata.Output output,
    int threads) {

  public ClassifierOptions {
    Objects.requireNonNull(device, "device (valid: AUTO, CPU, CUDA)");
    labels = labels == null ? null : List.copyOf(labels);
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0 (0 = all cores), was " + threads);
    }
  }

  /** @return AUTO device, everything else from the model */
  public static ClassifierOptions defaults() {
    return new ClassifierOptions(Device.AUTO, null, null, null, 0);
  }

  public ClassifierOptions withDevice(Device d) {
    return new ClassifierOptions(d, labels, preprocessing, output, threads);
  }

  public ClassifierOptions withLabels(List<String> l) {
    return new ClassifierOptions(device, l, preprocessing, output, threads);
  }

  public ClassifierOptions withPreprocessing(Preprocessing p) {
    return new ClassifierOptions(device, labels, p, output, threads);
  }

  public ClassifierOptions withOutput(ModelMetadata.Output o) {
    return new ClassifierOptions(device, labels, preprocessing, o, threads);
  }

  public ClassifierOptions withThreads(int t) {
    return new ClassifierOptions(device, labels, preprocessing, output, t);
  }
}
