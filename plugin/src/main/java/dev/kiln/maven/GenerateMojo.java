package dev.kiln.maven;

import dev.kiln.maven.codegen.ClassifierGenerator;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.goal.TrainGoal;
import dev.kiln.maven.problem.UserProblemException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Generates the typed classifier class from the label folders and registers it as a compile
 * source root (on every build, up-to-date ones included).
 *
 * @since 0.1.0
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public class GenerateMojo extends AbstractKilnMojo {

  /**
   * Where the generated sources go.
   *
   * <p>Default {@code ${project.build.directory}/generated-sources/kiln}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.generatedSources",
      defaultValue = "${project.build.directory}/generated-sources/kiln")
  private File generatedSources;

  /** Keeps a previously generated class compilable when Kiln is skipped. */
  @Override
  protected void skipped() {
    if (generatedSources.isDirectory()) {
      project.addCompileSourceRoot(generatedSources.getAbsolutePath());
    }
  }

  @Override
  protected void run() throws UserProblemException {
    if (model != null && !model.isBlank()) {
      dev.kiln.maven.goal.ExistingModel existing = existingModel();
      Path file = ClassifierGenerator.generate(new ClassifierGenerator.Request(className,
          existing.metadata().labels(), "Uses " + existing.line() + ".",
          generatedSources.toPath()));
      project.addCompileSourceRoot(generatedSources.getAbsolutePath());
      getLog().info("Generated " + className + " for " + existing.line() + " (" + file + ")");
      return;
    }
    Dataset data = DatasetScanner.scan(new DatasetScanner.Request(images.toPath(), includes,
        excludes, validationSplit, seed, followLinks));
    data.warnings().forEach(getLog()::warn);
    Path summaryFile = TrainGoal.summaryFile(workDir.toPath());
    String summary = null;
    try {
      if (Files.isRegularFile(summaryFile)) {
        summary = Files.readString(summaryFile).strip();
      }
    } catch (IOException e) {
      getLog().debug("no training summary: " + e.getMessage());
    }
    Path file = ClassifierGenerator.generate(new ClassifierGenerator.Request(className,
        data.labels(), summary, generatedSources.toPath()));
    project.addCompileSourceRoot(generatedSources.getAbsolutePath());
    getLog().info("Generated " + className + " with labels " + data.labels() + " (" + file + ")");
  }
}
