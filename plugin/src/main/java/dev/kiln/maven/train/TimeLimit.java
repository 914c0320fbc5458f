package dev.kiln.maven.train;

import java.time.Duration;

/**
 * Stops the loop before an epoch that would end past the limit (judged by the mean epoch so
 * far): the kept epoch is then the best of those that ran.
 */
final class TimeLimit implements EpochListener {

  private final Duration limit;
  private final ProgressListener progress;

  TimeLimit(Duration limit, ProgressListener progress) {
    this.limit = limit;
    this.progress = progress;
  }

  @Override
  public void epochEnded(FitState state, EpochStats stats) {
    long elapsed = state.elapsedMillis();
    long perEpoch = elapsed / stats.epoch();
    if (stats.epoch() < stats.epochs() && elapsed + perEpoch > limit.toMillis()) {
      progress.debug("time limit " + limit + ": stopping after epoch " + stats.epoch()
          + " (" + elapsed + " ms so far, about " + perEpoch + " ms per epoch)");
      state.stop("time limit");
    }
  }
}
