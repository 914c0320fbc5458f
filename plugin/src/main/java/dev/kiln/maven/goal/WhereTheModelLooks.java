package dev.kiln.maven.goal;

import dev.kiln.maven.cam.ActivationMaps;
import dev.kiln.maven.cam.ClassActivationMaps;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.report.ReportWriter;
import dev.kiln.maven.suspects.SuspectedLabel;
import dev.kiln.maven.train.Evaluation;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.TrainingResult;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Between training and the outputs: the class activation maps of the photos the report shows
 * with thumbnails (the worst classified and the suspected wrong labels), from the shipped model
 * ({@link ClassActivationMaps}), or why there are none.
 */
final class WhereTheModelLooks {

  private WhereTheModelLooks() {}

  /** @return the maps of the report's worst and suspected photos */
  static ActivationMaps maps(TrainingResult result, Dataset data, ProgressListener listener) {
    Set<String> photos = new LinkedHashSet<>();
    result.validation().worst().stream().map(Evaluation.Mistake::image).forEach(photos::add);
    if (result.suspects() != null) {
      result.suspects().stream().limit(ReportWriter.SUSPECTS_SHOWN).map(SuspectedLabel::path)
          .forEach(photos::add);
    }
    long t0 = System.nanoTime();
    ActivationMaps maps;
    try {
      maps = ClassActivationMaps.draw(result.onnx(), result.metadata(), data.root(),
          List.copyOf(photos));
    } catch (RuntimeException e) { // a picture in the report never fails the build
      maps = ActivationMaps.none("Activation maps not drawn: " + e);
    }
    if (maps.overlays().isEmpty()) {
      listener.phase("activation-maps", maps.note());
    } else {
      listener.debug("activation maps of " + maps.overlays().size() + " photos in "
          + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }
    return maps;
  }
}
