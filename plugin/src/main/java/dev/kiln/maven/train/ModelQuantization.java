package dev.kiln.maven.train;

import dev.kiln.maven.config.Quantization;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.maven.export.HalfPrecision;
import dev.kiln.maven.export.Quantizer;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * The shipped model's number format ({@code quantize}): the parity-checked float model as is, or
 * statically quantised to int8 (activations calibrated with min/max on up to {@link
 * #CALIBRATION_PHOTOS} training photos), or converted to float16. A quantised model is run on the
 * validation photos beside the float one; an int8 model that loses more than {@code
 * maxQuantizationDrop} is refused. What was done, both accuracies, how often the two agree and
 * on which photos go into the metadata.
 *
 * <p>The comparison is of two number formats of one model, so it is made on the same photos for
 * both. With a {@code val/} folder or a held-out half, neither model trained on them. Without
 * {@code val/} the shipped head learnt from every photo, so there is no photo the shipped models
 * did not train on (the estimate comes from out-of-fold heads, which are never quantised): the
 * comparison then rests on photos both trained on, says so, and its agreement (how often both
 * give the same label) bounds how far the quantised model's accuracy can move from the float
 * one's on those photos — it is not an accuracy on new photos.
 */
final class ModelQuantization {

  /** Training photos the int8 activation ranges are calibrated on (evenly spaced). */
  static final int CALIBRATION_PHOTOS = 64;

  private ModelQuantization() {}

  /**
   * @param exported the model to ship
   * @param probabilities its probabilities on the validation photos
   * @param info what quantisation did, or null for none
   */
  record Shipped(ModelExport.Exported exported, float[][] probabilities,
      TrainingResult.Quantized info) {}

  /**
   * @param floats the float model's probabilities on {@code val}
   * @param trainedOn true when the shipped head learnt from the {@code val} photos
   */
  static Shipped apply(TrainingRun run, ModelExport.Exported model, float[][] floats,
      FeatureSource.Features val, boolean trainedOn) throws UserProblemException, KilnException {
    Preprocessing raw = run.raw();
    ExecutorService pool = run.pool();
    PhotoReads photos = run.photos();
    ProgressListener listener = run.listener();
    Quantization kind = run.settings().export().quantize();
    if (kind == Quantization.NONE) {
      return new Shipped(model, floats, null);
    }
    String calibration = null;
    byte[] bytes;
    if (kind == Quantization.INT8) {
      List<float[]> batches = new ArrayList<>();
      List<long[]> shapes = new ArrayList<>();
      List<LabelledImage> train = run.data().train();
      int n = Math.min(CALIBRATION_PHOTOS, train.size());
      List<LabelledImage> chosen = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        chosen.add(train.get((int) ((long) i * train.size() / n)));
      }
      int used = 0;
      for (int from = 0; from < chosen.size(); from += FeatureSource.BATCH) {
        ImageLoader.Chunk chunk = ImageLoader.load(chosen.subList(from,
            Math.min(chosen.size(), from + FeatureSource.BATCH)), raw, pool, photos);
        int m = chunk.fitted().size();
        if (m == 0) {
          continue;
        }
        float[] t = new float[m * raw.tensorSize()];
        for (int i = 0; i < m; i++) {
          Preprocessor.writeTensor(chunk.fitted().get(i), raw, t, i * raw.tensorSize());
        }
        batches.add(t);
        shapes.add(raw.shape(m));
        used += m;
      }
      calibration = "min/max over " + used + " training photos";
      bytes = Quantizer.int8(model.onnx(), batches, shapes);
    } else {
      bytes = HalfPrecision.fp16(model.onnx());
    }
    float[][] quantized = new float[val.images().size()][];
    try (ImageClassifier c = ImageClassifier.load(bytes, kind.id() + " model",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      List<Classification> out = c.classifyFiles(val.images().stream()
          .map(LabelledImage::file).toList());
      for (int i = 0; i < quantized.length; i++) {
        quantized[i] = out.get(i).scores();
      }
    }
    double floatAccuracy = accuracy(floats, val);
    double accuracy = accuracy(quantized, val);
    int same = 0;
    for (int i = 0; i < quantized.length; i++) {
      if (dev.kiln.maven.head.LinearHeadSelection.argMax(quantized[i])
          == dev.kiln.maven.head.LinearHeadSelection.argMax(floats[i])) {
        same++;
      }
    }
    double agreement = quantized.length == 0 ? 1 : same / (double) quantized.length;
    String measuredOn = trainedOn
        ? "the " + quantized.length + " validation-side photos of the automatic split, which both"
            + " models trained on (no val/ folder: the shipped head learnt from every photo), so"
            + " this compares the two number formats' answers, not accuracy on new photos"
        : "the " + quantized.length + " validation photos, which neither model trained on";
    TrainingResult.Quantized info = new TrainingResult.Quantized(kind.id(), calibration,
        floatAccuracy, accuracy, agreement, quantized.length, trainedOn, measuredOn,
        model.onnx().length, bytes.length);
    listener.phase("quantize", info.line());
    double maxDrop = run.settings().export().maxQuantizationDrop();
    if (kind == Quantization.INT8 && accuracy < floatAccuracy - maxDrop - 1e-9) {
      throw new UserProblemException(String.format(Locale.ROOT, "the int8 model is %.1f points"
          + " less accurate than the float one on %s (float %.1f%%, int8 %.1f%%), more than"
          + " maxQuantizationDrop %.3f; the previous model is kept. Ship float (quantize=none) or"
          + " fp16, or accept the loss with a larger maxQuantizationDrop"
          + " (kiln.maxQuantizationDrop)", (floatAccuracy - accuracy) * 100, measuredOn,
          floatAccuracy * 100, accuracy * 100, maxDrop));
    }
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("quantization", kind.id());
    if (calibration != null) {
      facts.put("quantization_calibration", calibration);
    }
    facts.put("quantization_accuracy", String.format(Locale.ROOT,
        "{\"float\":%.6f,\"quantized\":%.6f,\"agreement\":%.6f,\"photos\":%d,"
            + "\"trained_on\":%b}", floatAccuracy, accuracy, agreement, quantized.length,
        trainedOn));
    return new Shipped(ModelExport.withTraining(bytes, model.metadata(), facts), quantized,
        info);
  }

  private static double accuracy(float[][] p, FeatureSource.Features val) {
    int right = 0;
    for (int i = 0; i < p.length; i++) {
      if (dev.kiln.maven.head.LinearHeadSelection.argMax(p[i]) == val.images().get(i).label()) {
        right++;
      }
    }
    return p.length == 0 ? 0 : right / (double) p.length;
  }
}
