package dev.kiln.maven.goal;

import dev.kiln.maven.backbone.ArtifactResolver;
import dev.kiln.maven.backbone.BackboneSource;
import dev.kiln.maven.export.OnnxSurgery;
import dev.kiln.maven.files.AtomicFiles;
import dev.kiln.maven.codegen.ClassifierGenerator;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.ModelMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code model} setting: an existing Kiln model (trained on Spark, or by another project)
 * used instead of training. Resolved from a file or Maven coordinates, checked to be a Kiln model
 * (its contract read from its metadata), and bundled where {@code train} would put its own.
 *
 * @param file the model file
 * @param setting the setting as written (for messages)
 * @param metadata its contract: labels, preprocessing, training facts
 */
public record ExistingModel(Path file, String setting, ModelMetadata metadata) {

  /**
   * @param spec the {@code model} setting
   * @param baseDir the project folder
   * @param artifacts resolves Maven coordinates (null: refused)
   * @return the model
   * @throws UserProblemException naming the setting when it is missing or not a Kiln model
   */
  public static ExistingModel resolve(String spec, Path baseDir, ArtifactResolver artifacts)
      throws UserProblemException {
    BackboneSource source = BackboneSource.parse(spec, baseDir);
    Path file;
    if (source instanceof BackboneSource.Artifact a) {
      file = (artifacts == null ? ArtifactResolver.NONE : artifacts).resolve(a);
    } else if (source instanceof BackboneSource.LocalFile f && Files.isRegularFile(f.file())) {
      file = f.file();
    } else {
      throw new UserProblemException("<model> (kiln.model) '" + spec + "' is neither a file of"
          + " the project nor Maven coordinates (groupId:artifactId:version); it names the Kiln"
          + " model to bundle instead of training");
    }
    try {
      var m = OnnxSurgery.parse(Files.readAllBytes(file));
      Map<String, String> props = new LinkedHashMap<>();
      m.getMetadataPropsList().forEach(p -> props.put(p.getKey(), p.getValue()));
      return new ExistingModel(file, spec, ModelMetadata.fromProperties(props, file.toString()));
    } catch (IOException e) {
      throw new UserProblemException("cannot read <model> " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException | KilnException e) {
      throw new UserProblemException("<model> " + file + " is not a Kiln model: "
          + e.getMessage() + " (Kiln models carry labels and preprocessing in their metadata:"
          + " write them with the plugin or kiln-spark's KilnModelExport)", e);
    }
  }

  /**
   * Bundles the model as {@code <classesDir>/<package path>/<ClassName>.onnx} (atomically; left
   * alone when already there).
   *
   * @return true when the bundled file changed
   */
  public boolean install(Path classesDir, String className) throws UserProblemException {
    Path target = classesDir.resolve(ClassifierGenerator.modelResource(className));
    try {
      byte[] bytes = Files.readAllBytes(file);
      if (Files.isRegularFile(target) && Arrays.equals(bytes, Files.readAllBytes(target))) {
        return false;
      }
      Files.createDirectories(target.getParent());
      AtomicFiles.write(target, bytes);
      return true;
    } catch (IOException e) {
      throw new UserProblemException("cannot bundle <model> as " + target + ": "
          + e.getMessage(), e);
    }
  }

  /** @return one line for the log */
  public String line() {
    String trainer = metadata.training().getOrDefault("trainer", metadata.training()
        .getOrDefault("mode", "elsewhere"));
    return "the existing model " + file + " (labels " + metadata.labels() + ", trained by "
        + trainer + ")";
  }
}
