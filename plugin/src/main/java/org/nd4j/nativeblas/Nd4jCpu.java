package org.nd4j.nativeblas;

/**
 * Compatibility bridge for DL4J 1.0.0-M2.1: its oneDNN helper check
 * ({@code BaseMKLDNNHelper.mklDnnEnabled()}) reflects on {@code
 * org.nd4j.nativeblas.Nd4jCpu$Environment}, a class that moved to {@code
 * org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu}. Without a class of the old name the check
 * fails and every layer runs its slow built-in path. This class delegates to the new location.
 * Not part of Kiln's API.
 */
public final class Nd4jCpu {

  private Nd4jCpu() {}

  /** The old-name environment, answering from the new one. */
  public static final class Environment {
    private static final Environment INSTANCE = new Environment();

    private Environment() {}

    public static Environment getInstance() {
      return INSTANCE;
    }

    public boolean isUseMKLDNN() {
      return org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN();
    }

    public void setUseMKLDNN(boolean use) {
      org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().setUseONEDNN(use);
    }
  }
}
