package dev.kiln.maven.backbone;

import dev.kiln.maven.UserProblemException;
import dev.kiln.maven.fingerprint.Hashes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Turns the user's {@code backbone} setting into a {@link Backbone}. Today the setting is a local
 * file: a keras-applications {@code .h5} weights file or a TF.js layers {@code model.json}; the
 * architecture and width are recognised from the weights. Catalogue names with downloads slot in
 * here later, behind the same string.
 */
public final class BackboneResolver {

  private BackboneResolver() {}

  /**
   * @param spec the backbone setting (a file path)
   * @param baseDir directory relative paths are resolved against
   * @param inputSize input width and height (MobileNet v1: 128..224)
   * @return the backbone with its weights
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Backbone resolve(String spec, Path baseDir, int inputSize)
      throws UserProblemException {
    Path file = file(spec, baseDir);
    if (inputSize < 128 || inputSize > 224) {
      throw new UserProblemException("inputSize " + inputSize
          + " is not supported for MobileNet v1; use a value from 128 to 224 (224 is the default)");
    }
    Map<String, WeightTensor> weights = KerasWeights.read(file);
    Architecture arch = recognise(weights, file);
    return new Backbone(file.toString(), sha256(file), arch, inputSize, weights);
  }

  /**
   * @param spec the backbone setting
   * @param baseDir directory relative paths are resolved against
   * @return the weights file the setting names (without reading it)
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Path file(String spec, Path baseDir) throws UserProblemException {
    if (spec == null || spec.isBlank()) {
      throw new UserProblemException("no backbone configured: set <backbone> (kiln.backbone) to a"
          + " keras-applications MobileNet .h5 weights file or a TF.js layers model.json");
    }
    Path file = baseDir.resolve(spec.trim()).normalize();
    if (!Files.isRegularFile(file)) {
      throw new UserProblemException("unknown backbone '" + spec + "': no such file " + file
          + ". This version accepts a local keras-applications MobileNet v1 .h5 weights file"
          + " (e.g. mobilenet_2_5_224_tf_no_top.h5) or a TF.js layers model.json");
    }
    return file;
  }

  static Architecture recognise(Map<String, WeightTensor> weights, Path file)
      throws UserProblemException {
    WeightTensor conv1 = weights.get("conv1/kernel");
    if (conv1 != null && weights.containsKey("conv_dw_1/depthwise_kernel")
        && weights.containsKey("conv_pw_13/kernel")) {
      double alpha = conv1.shape()[3] / 32.0;
      try {
        return new MobileNetV1(alpha);
      } catch (IllegalArgumentException e) {
        throw new UserProblemException("backbone " + file + ": " + e.getMessage());
      }
    }
    throw new UserProblemException("backbone " + file + " holds weights Kiln does not recognise"
        + " (first names: " + weights.keySet().stream().limit(4).toList()
        + "); supported: keras-applications MobileNet v1 (alpha 0.25, 0.5, 0.75, 1.0)");
  }

  /**
   * @param file any file
   * @return its SHA-256, lower-case hex
   * @throws UserProblemException when it cannot be read
   */
  public static String sha256(Path file) throws UserProblemException {
    try {
      return Hashes.sha256(file);
    } catch (IOException e) {
      throw new UserProblemException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
