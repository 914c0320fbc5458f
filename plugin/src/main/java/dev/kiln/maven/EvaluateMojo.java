package dev.kiln.maven;

import dev.kiln.maven.goal.EvaluateGoal;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.Evaluation;
import java.io.File;
import java.util.Locale;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Runs the built model on a separate labelled test folder; prints accuracy and the confusion
 * matrix and writes {@code target/kiln/evaluation.json}.
 *
 * @since 0.1.0
 */
@Mojo(name = "evaluate", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class EvaluateMojo extends AbstractKilnMojo {

  /** Labelled test images, one sub-folder per label, never used in training. Required.
   * Example: {@code src/test/images}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.testImages")
  private File testImages;

  /** Quality gate on test accuracy (0–1). Default {@code 0}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.minTestAccuracy", defaultValue = "0")
  private double minTestAccuracy;

  @Override
  protected void run() throws UserProblemException, MojoFailureException {
    if (testImages == null) {
      throw new MojoFailureException("set <testImages> (kiln.testImages) to a folder with one"
          + " sub-folder of test images per label");
    }
    EvaluateGoal.Request request;
    try {
      request = request();
    } catch (IllegalArgumentException e) {
      throw new MojoFailureException(e.getMessage(), e);
    }
    Evaluation e = EvaluateGoal.run(request, progress());
    getLog().info(String.format(Locale.ROOT, "Test accuracy %.1f%% on %d images",
        e.accuracy() * 100, e.images()));
    for (String line : e.confusionText().split("\n")) {
      getLog().info(line);
    }
  }

  /** @return the parameters as the goal's request */
  EvaluateGoal.Request request() {
    return new EvaluateGoal.Request(
        modelFile(),
        testImages.toPath(), includes, excludes, workDir.toPath().resolve("evaluation.json"),
        minTestAccuracy, device());
  }
}
