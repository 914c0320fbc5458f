package dev.kiln.maven;

import dev.kiln.maven.backbone.ArtifactResolver;
import dev.kiln.maven.backbone.BackboneSource;
import dev.kiln.maven.problem.UserProblemException;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactRequest;
import org.eclipse.aether.resolution.ArtifactResolutionException;

/**
 * Backbones given as Maven coordinates, resolved by Maven's own repository system: the project's
 * repositories with their mirrors and {@code settings.xml} credentials, {@code -o}, and the local
 * repository as the cache.
 */
final class MavenArtifacts implements ArtifactResolver {

  private final RepositorySystem system;
  private final RepositorySystemSession session;
  private final List<RemoteRepository> repositories;

  MavenArtifacts(RepositorySystem system, RepositorySystemSession session,
      List<RemoteRepository> repositories) {
    this.system = system;
    this.session = session;
    this.repositories = repositories;
  }

  @Override
  public Path resolve(BackboneSource.Artifact a) throws UserProblemException {
    try {
      return system.resolveArtifact(session, new ArtifactRequest(new DefaultArtifact(
          a.groupId(), a.artifactId(), a.classifier(), a.type(), a.version()), repositories,
          null)).getArtifact().getFile().toPath();
    } catch (ArtifactResolutionException e) {
      throw new UserProblemException("cannot resolve backbone " + a.coordinates() + ": "
          + e.getMessage() + ". Install or deploy it first (a Kiln model is attached to its"
          + " project's build as classifier 'model', type 'onnx'), or check the coordinates"
          + " and the repositories", e);
    }
  }
}
