package dev.kiln.maven.config;

/** How the new head is trained. */
public enum HeadSolver {
  /** {@link #LBFGS} for a single softmax layer, {@link #ADAM} when the head has a hidden layer. */
  AUTO,
  /**
   * Softmax regression fitted to convergence with L-BFGS on the frozen features, L2 strength
   * chosen by cross-validation, refitted on every photo that is not held out.
   */
  LBFGS,
  /** Minibatch Adam with dropout, early stopping on validation loss (the Keras tutorials' way). */
  ADAM;

  /** @return the configuration id, e.g. {@code lbfgs} */
  public String id() {
    return ConfigIds.id(this);
  }

  /**
   * @param hiddenUnits units of the head's hidden layer (0: none)
   * @return the solver used for such a head
   */
  public HeadSolver resolve(int hiddenUnits) {
    return this != AUTO ? this : hiddenUnits > 0 ? ADAM : LBFGS;
  }

  /**
   * @param id the configuration value
   * @return the solver
   * @throws IllegalArgumentException listing the valid values
   */
  public static HeadSolver parse(String id) {
    return ConfigIds.parse(HeadSolver.class, id, "headSolver");
  }
}
