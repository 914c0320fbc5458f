package dev.kiln.maven;

import dev.kiln.maven.problem.UserProblemException;
import java.io.File;
import java.util.List;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/** Settings shared by Kiln's goals. */
abstract class AbstractKilnMojo extends AbstractMojo {

  /**
   * Skips every Kiln goal.
   *
   * <p>Default {@code false}. Example: {@code -Dkiln.skip}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.skip", defaultValue = "false")
  protected boolean skip;

  /**
   * The labelled images: one sub-folder per label ({@code cats/}, {@code dogs/}), or
   * {@code train/} and {@code val/} folders each holding the label folders.
   *
   * <p>Default {@code src/main/images}. Example: {@code -Dkiln.images=data/photos}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.images", defaultValue = "${project.basedir}/src/main/images")
  protected File images;

  /**
   * Fully qualified name of the generated classifier class; the model is bundled beside it as
   * {@code <package path>/<ClassName>.onnx}. Required.
   *
   * <p>Example: {@code com.acme.pets.PetClassifier}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.className")
  protected String className;

  /**
   * Ant-style patterns of the images to use, relative to each label folder, matched ignoring
   * case.
   *
   * <p>Default: {@code **}{@code /*.jpg, **}{@code /*.jpeg, **}{@code /*.png, **}{@code /*.gif,
   * **}{@code /*.bmp}. Example: {@code <includes><include>**}{@code /*.jpg</include></includes>}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.includes")
  protected List<String> includes;

  /**
   * Ant-style patterns of images to leave out. Hidden files are always left out.
   *
   * <p>Default: none. Example: {@code <excludes><exclude>**}{@code /draft-*</exclude></excludes>}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.excludes")
  protected List<String> excludes;

  /**
   * Kiln's working folder: the kept model, fingerprint, {@code report.html}, {@code
   * metrics.json}, {@code evaluation.json}.
   *
   * <p>Default {@code ${project.build.directory}/kiln}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.workDir", defaultValue = "${project.build.directory}/kiln")
  protected File workDir;

  /**
   * Fraction of each label held out for validation when the images have no {@code train/} and
   * {@code val/} folders.
   *
   * <p>Default {@code 0.2}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.validationSplit", defaultValue = "0.2")
  protected double validationSplit;

  /**
   * Follow symbolic links in the photo folders. Each real folder is entered at most once: a link
   * that loops back, leads into another label's folder or to a folder already scanned is skipped
   * with a warning naming it.
   *
   * <p>Default {@code true}. Example: {@code -Dkiln.followLinks=false}.
   *
   * @since 0.2.0
   */
  @Parameter(property = "kiln.followLinks", defaultValue = "true")
  protected boolean followLinks;

  /**
   * Seed of everything random: the train/validation split hash, initialisation, shuffling,
   * dropout. The same images, configuration and seed give the same metrics.
   *
   * <p>Default {@code 42}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.seed", defaultValue = "42")
  protected long seed;

  /**
   * Where ONNX Runtime runs (the frozen backbone while training, the model while evaluating):
   * {@code AUTO} (CUDA when usable, else CPU), {@code CPU} or {@code CUDA}.
   *
   * <p>Default {@code AUTO}.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.device", defaultValue = "AUTO")
  protected String device;

  /** @return the configured device, or an InvalidSettingException listing the valid ones */
  protected dev.kiln.runtime.Device device() {
    return dev.kiln.maven.config.Settings.device(device);
  }

  @Parameter(defaultValue = "${project.build.outputDirectory}", readonly = true)
  protected File classesDir;

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  protected MavenProject project;

  @Parameter(defaultValue = "${session}", readonly = true)
  protected org.apache.maven.execution.MavenSession session;

  /** An existing Kiln model used instead of training — one trained on Spark ({@code
   * KilnModelExport}) or by another project: a file relative to the project, or Maven
   * coordinates {@code groupId:artifactId:version[:classifier[:type]]} (a model attached to a
   * build by default). {@code generate} takes the labels from it, {@code train} bundles it as
   * {@code <package path>/<ClassName>.onnx} without training, {@code evaluate} and
   * {@code classify} run it instead of the bundled model. Example:
   * {@code models/insects.onnx} or {@code com.acme:insects:1.0}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.model")
  protected String model;

  @org.apache.maven.plugins.annotations.Component
  private org.eclipse.aether.RepositorySystem repositorySystem;

  /** @return Maven's repository system for models and backbones given as coordinates (null in
   *     tests) */
  protected dev.kiln.maven.backbone.ArtifactResolver artifacts() {
    return repositorySystem == null ? null : new MavenArtifacts(repositorySystem,
        session.getRepositorySession(), project.getRemoteProjectRepositories());
  }

  /**
   * @return the model a goal runs: the {@code model} setting's file when set (resolved without
   *     reading it: the goal reports a bad file), else the bundled one
   */
  protected java.nio.file.Path modelFile() {
    if (model != null && !model.isBlank()) {
      try {
        return existingModel().file();
      } catch (UserProblemException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
    return classesDir.toPath().resolve(
        dev.kiln.maven.codegen.ClassifierGenerator.modelResource(className));
  }

  /** @return the {@code model} setting resolved to a Kiln model file with its contract */
  protected dev.kiln.maven.goal.ExistingModel existingModel() throws UserProblemException {
    return dev.kiln.maven.goal.ExistingModel.resolve(model, project.getBasedir().toPath(),
        artifacts());
  }

  /**
   * @return progress for the Maven log; when Maven builds modules in parallel ({@code -T}),
   *     every line starts with the module's artifactId, so interleaved lines stay readable
   */
  protected MavenProgress progress() {
    boolean parallel = session != null && session.getRequest() != null
        && session.getRequest().getDegreeOfConcurrency() > 1;
    return new MavenProgress(getLog(), parallel ? project.getArtifactId() : null);
  }

  @Override
  public final void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("Kiln skipped (kiln.skip)");
      skipped();
      return;
    }
    if (className == null || className.isBlank()) {
      throw new MojoFailureException("set <className> (kiln.className) to the fully qualified"
          + " name of the classifier class to generate, e.g. com.acme.pets.PetClassifier");
    }
    dev.kiln.maven.engine.LibraryLogs.quiet(getLog().isDebugEnabled());
    try (dev.kiln.maven.engine.RuntimeLogs photos =
        dev.kiln.maven.engine.RuntimeLogs.toBuild(getLog()::warn)) {
      run();
    } catch (UserProblemException e) {
      throw new MojoFailureException(e.getMessage(), e);
    } catch (MojoFailureException | MojoExecutionException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new MojoExecutionException("Kiln failed unexpectedly: " + e.getMessage(), e);
    }
  }

  /** Called instead of {@link #run()} when {@code kiln.skip} is set. */
  protected void skipped() {}

  /** The goal's work. */
  protected abstract void run() throws UserProblemException, MojoExecutionException,
      MojoFailureException;
}
