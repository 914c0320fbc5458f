package dev.kiln.maven.goal;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.maven.files.AtomicFiles;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.image.Preprocessing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code featurizer} goal: the frozen part that {@code train} would run — the same backbone,
 * cut, pooling and normalisation, from the same settings — written as an ONNX model for
 * kiln-spark's {@code KilnFeaturizer} ({@code target/kiln/featurizer.onnx}): raw RGB in, pooled
 * features out, the raw preprocessing in {@code kiln.preprocessing}. No photos are read.
 */
public final class FeaturizerGoal {

  private FeaturizerGoal() {}

  /**
   * @param c the train goal's configuration (its backbone group)
   * @param listener progress
   * @return the written file
   * @throws UserProblemException for a backbone that cannot be resolved
   */
  public static Path run(TrainConfiguration c, ProgressListener listener)
      throws UserProblemException {
    java.util.List<Path> files = BackboneResolver.files(c.backbone().source(),
        c.run().baseDir(), c.backbone().download(), line -> listener.phase("backbone", line),
        listener::warn);
    Backbone b = ModelTraining.backbone(c, files, line -> listener.phase("backbone", line));
    String file = files.stream().map(f -> f.getFileName().toString())
        .collect(java.util.stream.Collectors.joining("+"));
    String cut = c.backbone().featureLayer() == null ? b.architecture().lastFeatureLayer()
        : c.backbone().featureLayer();
    byte[] onnx = Trainer.frozenModel(b, c.backbone().featureLayer());
    Map<String, String> props = new LinkedHashMap<>();
    props.put(ModelMetadata.KEY_PREPROCESSING,
        Preprocessing.raw(b.inputSize(), c.backbone().resize()).toSpec());
    props.put("kiln.featurizer.backbone", b.architecture().id() + " (" + file
        + ", sha256 " + b.sha256() + ")");
    props.put("kiln.featurizer.cut", cut);
    props.put("kiln.featurizer.pooling", b.pooling().name().toLowerCase(java.util.Locale.ROOT));
    props.put("kiln.featurizer.depths", Integer.toString(b.featureDepths()));
    Path out = c.outputs().workDir().resolve("featurizer.onnx");
    try {
      Files.createDirectories(out.getParent());
      AtomicFiles.write(out, OnnxExporter.withMetadata(onnx, props));
    } catch (IOException e) {
      throw new UserProblemException("cannot write " + out + ": " + e.getMessage(), e);
    }
    listener.phase("featurizer", b.architecture().id() + " up to " + cut + ", "
        + b.pooling().name().toLowerCase(java.util.Locale.ROOT) + " pooling, "
        + b.inputSize() + " px: " + out + " (for kiln-spark's KilnFeaturizer)");
    return out;
  }
}
