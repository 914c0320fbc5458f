package dev.kiln.maven.goal;

import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Step 4 of the train goal: the checks a new model must pass before it replaces the kept one.
 * {@code minAccuracy} holds the estimate (accuracy on photos no training decision used) to a
 * floor. {@code maxAccuracyDrop} compares with the model being replaced: on the same validation
 * photos when they were held out from the new head ({@link RegressionGate}), or estimate against
 * the kept model's recorded estimate when the new head learnt from every photo (running the old
 * model on photos the new one trained on would favour the new one).
 */
final class QualityGates {

  private QualityGates() {}

  /** @throws GateRejection when a gate refuses the model (its report says which, and why) */
  static void check(TrainConfiguration c, TrainOutputs outputs, Dataset data,
      TrainingResult result, ProgressListener listener) throws GateRejection {
    minAccuracy(result.estimate().accuracy(), result.estimate().line(), c.gates().minAccuracy(),
        outputs.rejectedReport);
    Double maxDrop = c.gates().maxAccuracyDrop();
    if (maxDrop != null && Files.isRegularFile(outputs.kept)) {
      accuracyDrop(maxDrop, outputs.kept, outputs.rejectedReport, data, result, listener);
    }
  }

  static void minAccuracy(double accuracy, String estimate, double min, Path report)
      throws GateRejection {
    if (accuracy < min) {
      throw new GateRejection("minAccuracy", String.format(Locale.ROOT, "Rejected by the"
          + " minAccuracy gate: the estimated accuracy on new photos, %s, is below minAccuracy"
          + " %.1f%%. This model was not bundled; the previous model (if any) is kept.",
          estimate, min * 100), String.format(Locale.ROOT,
          "estimated accuracy %.4f (%s) is below minAccuracy %.4f; the previous model (if any)"
              + " is kept. See %s for the confusion matrix and worst images; add or clean"
              + " images, try another backbone or mode, or lower minAccuracy (kiln.minAccuracy)",
          accuracy, estimate, min, report));
    }
  }

  private static void accuracyDrop(double maxDrop, Path kept, Path rejectedReport, Dataset data,
      TrainingResult result, ProgressListener listener) throws GateRejection {
    double previous;
    double current;
    String basis;
    if (result.validationTrainedOn()) {
      Double recorded = recordedEstimate(kept, data.labels());
      if (recorded == null) {
        listener.phase("accuracy-drop", "the previous model records no estimate (or has other"
            + " labels): no comparison");
        return;
      }
      previous = recorded;
      current = result.estimate().accuracy();
      basis = "estimated accuracy on new photos";
    } else {
      // the photos the new model's evaluation rests on (the estimate's held-out photos)
      Set<String> evaluated = new HashSet<>(result.validation().photos());
      List<LabelledImage> measured = data.validation().stream()
          .filter(i -> evaluated.contains(i.relativePath())).toList();
      RegressionGate.Comparison old = RegressionGate.previousAccuracy(kept, data.labels(),
          measured);
      if (old == null) {
        listener.phase("accuracy-drop", "the previous model has other labels (or is unreadable):"
            + " no comparison");
        return;
      }
      previous = old.accuracy();
      current = result.validation().accuracy();
      basis = "accuracy on the same " + old.images() + " validation photos";
    }
    listener.phase("accuracy-drop", String.format(Locale.ROOT, "%s: previous model %.1f%%, new"
        + " model %.1f%% (maxAccuracyDrop %.3f)", basis, previous * 100, current * 100, maxDrop));
    if (current < previous - maxDrop - 1e-9) {
      throw new GateRejection("maxAccuracyDrop", String.format(Locale.ROOT, "Rejected by the"
          + " maxAccuracyDrop gate: %s dropped from %.1f%% (the previous model) to %.1f%% (this"
          + " model), %.1f points, more than maxAccuracyDrop %.3f (%.1f points). This model was"
          + " not bundled; the previous model is kept.", basis, previous * 100, current * 100,
          (previous - current) * 100, maxDrop, maxDrop * 100), String.format(Locale.ROOT,
          "%s dropped from %.1f%% (the"
          + " previous model) to %.1f%% (the new one), more than maxAccuracyDrop %.3f; the"
          + " previous model is kept; the rejected model's report is %s. Undo the change that"
          + " caused it, or accept the drop with a larger maxAccuracyDrop (kiln.maxAccuracyDrop)",
          Character.toUpperCase(basis.charAt(0)) + basis.substring(1), previous * 100,
          current * 100, maxDrop, rejectedReport));
    }
  }

  /** @return the kept model's recorded estimate, or null (none, other labels, unreadable) */
  static Double recordedEstimate(Path kept, List<String> labels) {
    try (ImageClassifier previous = ImageClassifier.load(kept,
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      String json = previous.metadata().training().get("estimate");
      if (json == null || !previous.labels().equals(labels)) {
        return null;
      }
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get("accuracy")
          .asDouble();
    } catch (KilnException | java.io.IOException | RuntimeException e) {
      return null;
    }
  }
}
