package dev.kiln.maven.problem;

/**
 * A problem the user can fix: bad data, bad configuration, an unreachable download, a failed
 * accuracy gate. The message names the file or setting and says what to do. Mojos turn it into
 * a {@code MojoFailureException}; anything else is unexpected.
 */
public class UserProblemException extends Exception {

  private static final long serialVersionUID = 1L;

  public UserProblemException(String message) {
    super(message);
  }

  public UserProblemException(String message, Throwable cause) {
    super(message, cause);
  }
}
