package dev.kiln.maven.engine;

/**
 * Moves the libraries' start-up chatter (ND4J's backend banner, DL4J's "Starting
 * ComputationGraph with WorkspaceModes…", jHDF's per-dataset lines) out of a user's build log:
 * inside Maven they log through Maven's SLF4J simple logger, whose level per logger name is read
 * from {@code org.slf4j.simpleLogger.log.<name>} when the logger is created. Set before the
 * libraries load; at {@code -X} (debug) nothing is changed, so the lines show there. A level the
 * user set is left alone.
 */
public final class LibraryLogs {

  static final String[] CHATTY = {"org.nd4j", "org.deeplearning4j", "io.jhdf"};

  private LibraryLogs() {}

  /** @param debug true when the build log shows debug lines (then nothing is quieted) */
  public static void quiet(boolean debug) {
    if (debug) {
      return;
    }
    for (String name : CHATTY) {
      String key = "org.slf4j.simpleLogger.log." + name;
      if (System.getProperty(key) == null) {
        System.setProperty(key, "warn");
      }
    }
  }
}
