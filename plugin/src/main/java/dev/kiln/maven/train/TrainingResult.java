package dev.kiln.maven.train;

import dev.kiln.maven.export.ParityChecker;
import dev.kiln.maven.head.AccuracyEstimate;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.runtime.ModelMetadata;
import java.util.List;

/**
 * The outcome of a training run.
 *
 * @param onnx the exported, parity-checked model
 * @param metadata the model contract written into it
 * @param validation the evaluation (matrix, per-label table, worst photos), from the same photos
 *     as the estimate and never from a photo its predicting head trained on: out-of-fold
 *     predictions without a {@code val/} folder, else the exported model on the held-out photos
 *     (see {@link Evaluation#source()})
 * @param history per-epoch metrics
 * @param bestEpoch the epoch whose parameters were kept
 * @param skipped images left out, with reasons
 * @param parity DL4J vs ONNX Runtime comparison
 * @param timings wall time per phase
 * @param estimate accuracy to expect on new photos, measured on photos no training decision used
 * @param head the L-BFGS head's strength search, or null for an Adam head
 * @param validationTrainedOn true when the shipped head also learnt from the validation photos
 *     (no {@code val/} folder: {@code validation} then holds out-of-fold predictions)
 * @param quantization what quantisation did to the shipped model, or null for float32
 * @param suspects photos whose given label is probably wrong (confident learning on the same
 *     predictions as {@code validation}), most suspicious first; null when not looked for
 *     ({@code suspects=false})
 * @param learningCurve out-of-fold accuracy at several training sizes, the power law through it
 *     and what it projects for every photo, 2x and 4x the photos; null without the nested
 *     estimate (a {@code val/} folder, an Adam head, a deeper mode)
 * @param candidates {@code auto}'s leaderboard (every candidate tried, on one protocol), or null
 *     when no search ran
 * @param unusual photos unlike the rest in the frozen features (a placeholder, something no
 *     label is about), most unusual first; null when not looked for ({@code suspects=false}, a
 *     scratch network)
 */
public record TrainingResult(byte[] onnx, ModelMetadata metadata, Evaluation validation,
    List<EpochStats> history, int bestEpoch, List<SkippedImage> skipped,
    ParityChecker.Result parity, Timings timings, AccuracyEstimate estimate, HeadFit head,
    boolean validationTrainedOn, Quantized quantization,
    List<dev.kiln.maven.suspects.SuspectedLabel> suspects,
    dev.kiln.maven.head.LearningCurve.Result learningCurve, List<Candidate> candidates,
    List<dev.kiln.maven.suspects.UnusualPhoto> unusual) {

  /**
   * One candidate of {@code auto}'s search, scored like every other on the same photos.
   *
   * @param name what it is, e.g. {@code mobilenet_v1_0.25, 2 depths + flip}
   * @param accuracy its out-of-fold accuracy on the compared photos (NaN when not tried)
   * @param low lower end of the exact 95 % (Clopper–Pearson) interval
   * @param high upper end
   * @param photos photos it was scored on
   * @param seconds wall time it took (features and head)
   * @param chosen whether it is the shipped model
   * @param note why it was chosen, not chosen or not tried
   */
  public record Candidate(String name, double accuracy, double low, double high, int photos,
      double seconds, boolean chosen, String note) {

    public Candidate {
      java.util.Objects.requireNonNull(name, "name");
      java.util.Objects.requireNonNull(note, "note");
    }

    /** @return the leaderboard line */
    public String line() {
      return Double.isNaN(accuracy) ? String.format(java.util.Locale.ROOT, "%-34s not tried: %s",
          name, note)
          : String.format(java.util.Locale.ROOT, "%-34s %5.1f%% (%.1f-%.1f%%, %d photos) %6.1f s"
              + "%s %s", name, accuracy * 100, low * 100, high * 100, photos, seconds,
              chosen ? " <- chosen:" : "", note);
    }
  }

  /**
   * @param kind {@code int8} or {@code fp16}
   * @param calibration how int8 activation ranges were calibrated (null for fp16)
   * @param floatAccuracy the float model's accuracy on the compared photos
   * @param accuracy the quantised model's accuracy on the same photos
   * @param agreement share of those photos on which both models give the same label
   * @param photos how many photos
   * @param trainedOn true when both models trained on those photos (no {@code val/} folder):
   *     then the two accuracies compare number formats, they are not estimates
   * @param measuredOn the compared photos, in words
   * @param floatBytes size of the float model
   * @param bytes size of the quantised model
   */
  public record Quantized(String kind, String calibration, double floatAccuracy,
      double accuracy, double agreement, int photos, boolean trainedOn, String measuredOn,
      long floatBytes, long bytes) {
    /** @return the log line */
    public String line() {
      return String.format(java.util.Locale.ROOT, "%s model: %,d bytes (%.2fx the float model's"
              + " %,d); on %s: float %.1f%%, %s %.1f%%, same label on %.1f%% of them%s", kind,
          bytes, bytes / (double) floatBytes, floatBytes, measuredOn, floatAccuracy * 100, kind,
          accuracy * 100, agreement * 100,
          calibration == null ? "" : "; calibration " + calibration);
    }
  }

  public TrainingResult {
    java.util.Objects.requireNonNull(estimate, "estimate");
    history = List.copyOf(history);
    skipped = List.copyOf(skipped);
    suspects = suspects == null ? null : List.copyOf(suspects);
  }

  /**
   * How the L-BFGS head was fitted.
   *
   * @param solver {@code lbfgs}
   * @param lambda the chosen L2 strength (on standardised features)
   * @param folds cross-validation folds
   * @param curve cross-validated log-loss and accuracy per strength tried
   * @param fits L-BFGS fits made (selection, estimate and the shipped head)
   * @param millis wall time of the search and fits
   */
  public record HeadFit(String solver, double lambda, int folds,
      List<LinearHeadSelection.Point> curve, int fits, long millis) {
    static HeadFit of(LinearHeadSelection.Result r) {
      return new HeadFit("lbfgs", r.lambda(), r.folds(), r.curve(), r.fits(), r.millis());
    }
  }

  /**
   * Wall-clock milliseconds per phase.
   *
   * @param decode decoding and fitting images (training + validation, parallel)
   * @param frozenForward the frozen backbone in ONNX Runtime
   * @param headTraining DL4J training of the head
   * @param export export + parity check
   * @param frozenImages images that went through the frozen part
   * @param cachedImages images whose frozen features came from the cache
   */
  public record Timings(long decode, long frozenForward, long headTraining, long export,
      int frozenImages, int cachedImages) {
    /** @return frozen-forward throughput in images per second */
    public double frozenImagesPerSecond() {
      return frozenForward == 0 ? 0 : frozenImages * 1000.0 / frozenForward;
    }
  }
}
