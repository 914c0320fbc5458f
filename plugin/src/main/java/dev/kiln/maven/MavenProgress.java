package dev.kiln.maven;

import dev.kiln.maven.train.EpochStats;
import dev.kiln.maven.train.ProgressListener;
import org.apache.maven.plugin.logging.Log;

/** Maps training progress to the Maven log: a line per phase and epoch, details at debug. */
final class MavenProgress implements ProgressListener {

  private final Log log;
  private final String prefix;

  /**
   * @param log the Mojo's log
   * @param module the module's artifactId to start every line with (parallel builds), or null
   */
  MavenProgress(Log log, String module) {
    this.log = log;
    this.prefix = module == null ? "" : "[" + module + "] ";
  }

  @Override
  public void phase(String name, String detail) {
    for (String line : detail.split("\n")) {
      log.info(prefix + "[" + name + "] " + line);
    }
  }

  @Override
  public void epoch(EpochStats stats) {
    log.info(prefix + "[training] " + stats.line());
  }

  @Override
  public void debug(String message) {
    log.debug(prefix + message);
  }

  @Override
  public void warn(String message) {
    log.warn(prefix + message);
  }
}
