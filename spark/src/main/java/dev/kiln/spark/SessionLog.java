package dev.kiln.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An executor's record of the ONNX Runtime sessions it opened and closed, for reading after the
 * executor has ended: when the system property {@value #PROPERTY} names a file (a relative name
 * resolves against the JVM's working directory, which on a standalone worker is the executor's own
 * work directory, beside its {@code stderr}), each session opened and each closed is appended to
 * it as one line, {@code opened KEY pid=PID} or {@code closed KEY pid=PID}. A file, not the log or
 * stderr: Spark stops log4j in its own shutdown hook, and a standalone worker stops copying an
 * executor's stderr before it terminates the executor, so a line printed as the JVM ends is often
 * lost; an appended and closed file is not. Set it with {@code --conf
 * spark.executor.extraJavaOptions=-Dkiln.spark.sessionLog=kiln-sessions.log}.
 */
final class SessionLog {

  /** The system property that names the file. */
  static final String PROPERTY = "kiln.spark.sessionLog";

  private SessionLog() {}

  /** Appends {@code EVENT KEY pid=PID} when the property is set; never fails the caller. */
  static synchronized void record(String event, String key) {
    String file = System.getProperty(PROPERTY);
    if (file == null || file.isBlank()) {
      return;
    }
    String line = event + " " + key + " pid=" + ProcessHandle.current().pid() + "\n";
    try {
      Files.writeString(Path.of(file), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    } catch (IOException | RuntimeException e) {
      System.err.println("kiln-spark: cannot append to " + PROPERTY + " file " + file + ": " + e);
    }
  }
}
