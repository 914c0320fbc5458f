package dev.kiln.maven.train;

import java.util.Locale;

/**
 * Metrics of one epoch.
 *
 * @param epoch 1-based epoch number
 * @param epochs planned number of epochs
 * @param trainLoss mean training loss
 * @param trainAccuracy training accuracy (with dropout active)
 * @param valLoss validation loss
 * @param valAccuracy validation accuracy
 * @param elapsedMillis time since training started
 * @param etaMillis estimated time to the last planned epoch
 */
public record EpochStats(int epoch, int epochs, double trainLoss, double trainAccuracy,
    double valLoss, double valAccuracy, long elapsedMillis, long etaMillis) {

  /** @return the log line, e.g. {@code epoch 3/30: loss 0.41 acc 0.82 | val loss 0.38 ...} */
  public String line() {
    return String.format(Locale.ROOT,
        "epoch %d/%d: loss %.4f acc %.3f | val loss %.4f acc %.3f | %.1fs, ETA %.1fs",
        epoch, epochs, trainLoss, trainAccuracy, valLoss, valAccuracy,
        elapsedMillis / 1000.0, etaMillis / 1000.0);
  }
}
