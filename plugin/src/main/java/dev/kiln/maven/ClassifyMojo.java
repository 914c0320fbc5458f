package dev.kiln.maven;

import dev.kiln.maven.text.Count;
import dev.kiln.maven.goal.ClassifyGoal;
import dev.kiln.maven.problem.UserProblemException;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Tries the built model on photos from the command line, like a model preview:
 * {@code mvn kiln:classify -Dkiln.inputs=photo.jpg,more/photos} prints the top labels of each
 * photo. Needs a built model ({@code mvn package} first). Not bound to a phase.
 *
 * @since 0.1.0
 */
@Mojo(name = "classify", threadSafe = true)
public class ClassifyMojo extends AbstractKilnMojo {

  /** Photos and folders to classify (folders are searched for images), comma-separated on the
   * command line, relative to the project. Example: {@code -Dkiln.inputs=cat.jpg,photos/}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.inputs")
  private List<String> inputs;

  /** Labels shown per photo. Default {@code 3}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.top", defaultValue = "3")
  private int top;

  @Override
  protected void run() throws UserProblemException, MojoFailureException {
    ClassifyGoal.Request request;
    try {
      request = request();
    } catch (IllegalArgumentException e) {
      throw new MojoFailureException(e.getMessage(), e);
    }
    ClassifyGoal.Outcome outcome = ClassifyGoal.run(request, getLog()::info);
    getLog().info(Count.of(outcome.classified(), "photo") + " classified"
        + (outcome.failed() == 0 ? "" : ", " + outcome.failed() + " not readable"));
    if (outcome.classified() == 0) {
      throw new MojoFailureException("no photo could be classified; see the lines above");
    }
  }

  /** @return the parameters as the goal's request */
  ClassifyGoal.Request request() {
    Path base = project.getBasedir().toPath();
    return new ClassifyGoal.Request(
        modelFile(),
        inputs == null ? List.of() : inputs.stream().map(String::trim)
            .filter(s -> !s.isEmpty()).map(s -> base.resolve(s).normalize()).toList(), top,
        device());
  }
}
