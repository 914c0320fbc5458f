package dev.kiln.maven;

import dev.kiln.maven.train.EpochStats;
import dev.kiln.maven.train.ProgressListener;
import org.apache.maven.plugin.logging.Log;

/** Maps training progress to the Maven log: a line per phase and epoch, details at debug. */
final class MavenProgress implements ProgressListener {

  private final Log log;

  MavenProgress(Log log) {
    this.log = log;
  }

  @Override
  public void phase(String name, String detail) {
    for (String line : detail.split("\n")) {
      log.info("[" + name + "] " + line);
    }
  }

  @Override
  public void epoch(EpochStats stats) {
    log.info("[training] " + stats.line());
  }

  @Override
  public void debug(String message) {
    log.debug(message);
  }

  @Override
  public void warn(String message) {
    log.warn(message);
  }
}
