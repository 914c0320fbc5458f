package dev.kiln.maven.goal;

import dev.kiln.maven.changes.BuildRecord;
import dev.kiln.maven.changes.ModelChanges;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.maven.train.Evaluation;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.TrainingResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Between training and the outputs: this build's record (every photo's hash and label, the
 * honest predictions; {@link BuildRecord}) and, when it replaces a model whose build kept one,
 * what changed since ({@link ModelChanges}), logged for the reviewer.
 */
final class ChangesSinceLastModel {

  private ChangesSinceLastModel() {}

  /** @return this build's record of its photos and honest predictions */
  static BuildRecord record(TrainInputs inputs, TrainingResult result) {
    Dataset data = inputs.dataset();
    Map<String, String> labels = new LinkedHashMap<>();
    Map<String, String> hashes = new LinkedHashMap<>();
    Map<Path, String> recorded = inputs.photos().recorded();
    List<LabelledImage> all = new ArrayList<>(data.train());
    all.addAll(data.validation());
    for (LabelledImage i : all) {
      labels.put(i.relativePath(), data.labels().get(i.label()));
      String sha = recorded.get(i.file().toAbsolutePath().normalize());
      if (sha != null && !sha.equals(PhotoReads.UNREADABLE)) {
        hashes.put(i.relativePath(), sha);
      }
    }
    List<BuildRecord.Prediction> predictions = new ArrayList<>();
    for (Evaluation.Mistake m : result.validation().predictions()) {
      predictions.add(new BuildRecord.Prediction(m.image(), m.predicted(), m.probability()));
    }
    return BuildRecord.of(TrainOutputs.sha256(result.onnx()), result.validation().source(),
        data.labels(), labels, hashes, predictions);
  }

  /**
   * @return what changed since the kept model, or null when there is none or its build kept no
   *     record (a first build, or one by an older Kiln)
   */
  static ModelChanges since(TrainOutputs outputs, BuildRecord current,
      ProgressListener listener) {
    BuildRecord previous = outputs.previousRecord();
    if (previous == null) {
      return null;
    }
    ModelChanges changes;
    try {
      changes = ModelChanges.between(previous, current);
    } catch (RuntimeException e) { // a kept record Kiln cannot compare never fails the build
      listener.warn("cannot compare with the previous model's " + outputs.predictions + " ("
          + e + "); the report has no \"What changed\" section");
      return null;
    }
    listener.phase("changes", "since the previous model: " + changes.line() + "; details in "
        + outputs.report + " (\"What changed since the last model\") and changes in "
        + outputs.metrics);
    return changes;
  }
}
