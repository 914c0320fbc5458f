package dev.kiln.maven.train;

import dev.kiln.maven.export.ParityChecker;
import dev.kiln.runtime.ModelMetadata;
import java.util.List;

/**
 * The outcome of a training run.
 *
 * @param onnx the exported, parity-checked model
 * @param metadata the model contract written into it
 * @param validation evaluation of the exported model on the validation images
 * @param history per-epoch metrics
 * @param bestEpoch the epoch whose parameters were kept
 * @param skipped images left out, with reasons
 * @param parity DL4J vs ONNX Runtime comparison
 * @param timings wall time per phase
 */
public record TrainingResult(byte[] onnx, ModelMetadata metadata, Evaluation validation,
    List<EpochStats> history, int bestEpoch, List<SkippedImage> skipped,
    ParityChecker.Result parity, Timings timings) {

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
