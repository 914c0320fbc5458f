package dev.kiln.maven.dataset;

import dev.kiln.maven.problem.UserProblemException;
import java.nio.file.Path;
import java.util.List;

/**
 * Photos whose bytes differed between two reads of one build (the fingerprint's hash and the
 * decoding, or two decodings): a sync tool, a branch switch or an editor wrote them meanwhile.
 * Nothing read from them was cached and no model is written; the next build reads them afresh.
 */
public class ChangedPhotosException extends UserProblemException {

  private final transient List<Path> files;

  /**
   * @param files the photos that changed, in order
   */
  public ChangedPhotosException(List<Path> files) {
    super(message(files));
    this.files = List.copyOf(files);
  }

  /** @return the photos that changed */
  public List<Path> files() {
    return files;
  }

  private static String message(List<Path> files) {
    StringBuilder b = new StringBuilder();
    b.append(files.size()).append(" photo(s) changed while the build was reading them:");
    files.stream().limit(20).forEach(f -> b.append("\n  ").append(f));
    if (files.size() > 20) {
      b.append("\n  … and ").append(files.size() - 20).append(" more");
    }
    return b.append("\nEach photo changed while the build was reading it (a sync tool, a branch"
        + " switch or an editor wrote it); nothing was cached from it and the previous model is"
        + " kept. Run the build again once the photos have stopped changing").toString();
  }
}
