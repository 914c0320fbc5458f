package dev.kiln.maven.train;

import java.util.Locale;

/**
 * Metrics of one epoch.
 *
 * @param epoch 1-based epoch number
 * @param epochs planned number of epochs
 * @param trainLoss cross-entropy on the training examples after the epoch, in inference mode
 *     (no dropout), without label smoothing, class weights or weight decay: comparable with
 *     {@code valLoss}
 * @param trainAccuracy training accuracy after the epoch, in inference mode (no dropout)
 * @param valLoss cross-entropy on the validation photos that choose the epoch
 * @param valAccuracy accuracy on the validation photos that choose the epoch
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
