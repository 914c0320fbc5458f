package dev.kiln.maven.goal;

import dev.kiln.maven.problem.UserProblemException;

/**
 * A quality gate refused the new model. Besides the build's message (which says what to do), it
 * carries the verdict the rejected model's report opens with: which gate, the figure and the
 * threshold.
 */
final class GateRejection extends UserProblemException {

  private static final long serialVersionUID = 1L;

  private final String gate;
  private final String verdict;

  /**
   * @param gate the setting of the gate that refused it ({@code minAccuracy}, {@code
   *     maxAccuracyDrop})
   * @param verdict one sentence: the gate, the figure and the threshold
   * @param message the build's message
   */
  GateRejection(String gate, String verdict, String message) {
    super(message);
    if (gate == null || gate.isBlank() || verdict == null || verdict.isBlank()) {
      throw new IllegalArgumentException("a rejection names its gate and verdict");
    }
    this.gate = gate;
    this.verdict = verdict;
  }

  /** @return the gate's setting name */
  String gate() {
    return gate;
  }

  /** @return the gate, the figure and the threshold, in one sentence */
  String verdict() {
    return verdict;
  }
}
