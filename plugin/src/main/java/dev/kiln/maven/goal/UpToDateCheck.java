package dev.kiln.maven.goal;

import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.fingerprint.FingerprintParts;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.ProgressListener;
import java.io.IOException;
import java.util.List;

/**
 * Step 2 of the train goal: when nothing that can change the model changed (same fingerprint as
 * the kept model's) and {@code force} is off, the kept model is reused: re-bundled if needed and
 * held to {@code minAccuracy} with its recorded estimate.
 */
final class UpToDateCheck {

  private UpToDateCheck() {}

  /** @return what changed since the kept model, from the fingerprints' parts */
  static String changes(String keptFingerprint, TrainInputs inputs, TrainOutputs outputs) {
    FingerprintParts before = outputs.previousParts(keptFingerprint);
    if (before == null) {
      return "the images, configuration, backbone or plugin changed since the kept model (its"
          + " build recorded no details)";
    }
    String changes = inputs.parts().changesSince(before);
    return changes.isEmpty() ? "the fingerprint changed" : changes;
  }

  /**
   * @return the outcome of reusing the kept model, or null when a training is needed
   * @throws UserProblemException when the kept model's estimate is below {@code minAccuracy}
   */
  static TrainGoal.Outcome reuse(TrainConfiguration c, TrainInputs inputs, TrainOutputs outputs,
      ProgressListener listener) throws UserProblemException {
    if (c.run().force()) {
      listener.phase("up-to-date", "retraining: force is set (kiln.force)");
      return null;
    }
    try {
      List<String> lines = outputs.previous();
      if (lines.size() < 2) {
        return null; // no kept model: a first training
      }
      if (!lines.get(0).equals(inputs.fingerprint())) {
        listener.phase("up-to-date", "retraining: " + changes(lines.get(0), inputs, outputs));
        return null;
      }
      if (!outputs.consistent(lines)) {
        listener.phase("up-to-date", "the previous build's outputs do not match each other (an"
            + " interrupted build?): retraining");
        return null;
      }
      double accuracy = Double.parseDouble(lines.get(1));
      String estimate = lines.size() >= 3 ? lines.get(2) : String.format(
          java.util.Locale.ROOT, "%.1f%%", accuracy * 100);
      QualityGates.minAccuracy(accuracy, estimate, c.gates().minAccuracy(), outputs.report);
      outputs.restoreModel(lines.get(3)); // consistent(): the kept model's SHA-256
      outputs.removeRejected(); // a rejected model's report describes no model of this build
      listener.phase("up-to-date", "model is up to date (fingerprint "
          + inputs.fingerprint().substring(0, 12) + "): nothing changed in the images,"
          + " configuration, backbone or plugin; reusing " + outputs.kept
          + " (use -Dkiln.force to retrain)");
      return new TrainGoal.Outcome(true, outputs.model, accuracy, estimate, outputs.report,
          inputs.dataset().labels());
    } catch (IOException | NumberFormatException e) {
      listener.debug("previous fingerprint unreadable, retraining: " + e.getMessage());
      return null;
    }
  }
}
