package dev.kiln.maven.engine;

import dev.kiln.runtime.image.ImageDecoder;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Puts what the runtime reports through {@code java.util.logging} about single photos (a photo
 * decoded with a recoverable warning, an animated GIF of which only the first frame is used;
 * {@link ImageDecoder#LOGGER}) into the build log as warnings, each line once per build however
 * often the photo is decoded. While it is open the lines do not also go to JUL's console.
 */
public final class RuntimeLogs implements AutoCloseable {

  private final Logger logger = Logger.getLogger(ImageDecoder.LOGGER); // held: JUL keeps weak refs
  private final boolean parentHandlers;
  private final Handler handler;

  private RuntimeLogs(Consumer<String> warn) {
    Set<String> seen = new HashSet<>();
    handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() < Level.WARNING.intValue()) {
          return;
        }
        synchronized (seen) {
          if (seen.add(r.getMessage())) {
            warn.accept(r.getMessage());
          }
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    parentHandlers = logger.getUseParentHandlers();
    logger.addHandler(handler);
    logger.setUseParentHandlers(false);
  }

  /**
   * @param warn where the build's warnings go
   * @return the open bridge; close it when the goal ends
   */
  public static RuntimeLogs toBuild(Consumer<String> warn) {
    return new RuntimeLogs(warn);
  }

  @Override
  public void close() {
    logger.removeHandler(handler);
    logger.setUseParentHandlers(parentHandlers);
  }
}
