package dev.kiln.maven.train;

/** Reports each epoch's metrics, elapsed time and ETA to the build's {@link ProgressListener}. */
final class EpochProgress implements EpochListener {

  private final ProgressListener progress;

  EpochProgress(ProgressListener progress) {
    this.progress = progress;
  }

  @Override
  public void epochEnded(FitState state, EpochStats stats) {
    progress.epoch(stats);
  }
}
