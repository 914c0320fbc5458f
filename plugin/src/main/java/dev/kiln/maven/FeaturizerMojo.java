package dev.kiln.maven;

import dev.kiln.maven.goal.FeaturizerGoal;
import dev.kiln.maven.problem.UserProblemException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Writes the frozen part that {@code train} would run — same backbone, cut, pooling and
 * normalisation, from the same settings — as {@code target/kiln/featurizer.onnx}, for
 * kiln-spark's {@code KilnFeaturizer} (docs/spark.md): featurise millions of photos on a cluster
 * and train the head with MLlib. Reads no photos. Not bound to a phase:
 * {@code mvn kiln:featurizer}.
 *
 * @since 0.1.0
 */
@Mojo(name = "featurizer", threadSafe = true)
public class FeaturizerMojo extends TrainMojo {

  @Override
  protected void run() throws UserProblemException, MojoFailureException {
    try {
      FeaturizerGoal.run(configuration(), progress());
    } catch (IllegalArgumentException e) {
      throw new MojoFailureException(e.getMessage(), e);
    }
  }
}
