package dev.kiln.maven.train;

/** Receives training progress. The Mojo maps it to the Maven log; tests collect it. */
public interface ProgressListener {

  /** A phase starts (scan, decode + frozen forward, head training, export, parity). */
  void phase(String name, String detail);

  /** One epoch finished. */
  void epoch(EpochStats stats);

  /** A detail worth a debug line. */
  default void debug(String message) {}

  /** A problem the user should see that does not stop training (e.g. a skipped image). */
  default void warn(String message) {}

  /** A listener that ignores everything. */
  ProgressListener NONE = new ProgressListener() {
    @Override
    public void phase(String name, String detail) {}

    @Override
    public void epoch(EpochStats stats) {}
  };
}
