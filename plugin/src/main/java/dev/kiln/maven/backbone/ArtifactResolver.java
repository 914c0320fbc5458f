package dev.kiln.maven.backbone;

import dev.kiln.maven.problem.UserProblemException;
import java.nio.file.Path;

/**
 * Resolves Maven coordinates ({@code groupId:artifactId:version[:classifier[:type]]}) to a file:
 * the Maven plugin implements it with Maven's own repository system (the project's repositories,
 * mirrors, credentials, offline mode, the local repository as cache); this package knows nothing
 * of Maven.
 */
@FunctionalInterface
public interface ArtifactResolver {

  /** Classifier of Kiln models attached to a build ({@code train}'s {@code attachModel}). */
  String MODEL_CLASSIFIER = "model";
  /** Type (extension) of Kiln models attached to a build. */
  String MODEL_TYPE = "onnx";

  /**
   * @param artifact the parsed coordinates
   * @return the artifact's file in the local repository
   * @throws UserProblemException naming the coordinates and what to do
   */
  Path resolve(BackboneSource.Artifact artifact) throws UserProblemException;

  /** A resolver for builds without Maven: every coordinate is refused. */
  ArtifactResolver NONE = a -> {
    throw new UserProblemException("backbone " + a.coordinates() + " is a Maven artifact;"
        + " artifacts are resolved by the Kiln Maven plugin only");
  };
}
