package dev.kiln.maven.goal;

import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import java.nio.file.Path;
import java.util.List;

/**
 * The accuracy-drop gate: the model a build is about to replace is run, through the runtime, on
 * the same validation photos the new model was measured on, so that the two accuracies compare
 * like with like even when photos were added or moved.
 */
final class RegressionGate {

  /**
   * @param accuracy the previous model's accuracy on the photos
   * @param images how many photos it was measured on
   */
  record Comparison(double accuracy, int images) {}

  private RegressionGate() {}

  /**
   * @param previousModel the model about to be replaced
   * @param labels the new model's labels, in order
   * @param images the validation photos the new model was measured on
   * @return the previous model's accuracy on them, or null when the models are not comparable
   *     (different labels) or the previous model cannot be read
   */
  static Comparison previousAccuracy(Path previousModel, List<String> labels,
      List<LabelledImage> images) {
    try (ImageClassifier previous = ImageClassifier.load(previousModel,
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      if (!previous.labels().equals(labels)) {
        return null;
      }
      int right = 0;
      int seen = 0;
      for (int from = 0; from < images.size(); from += 16) {
        List<LabelledImage> part = images.subList(from, Math.min(images.size(), from + 16));
        List<Classification> out = previous.classifyFiles(part.stream().map(LabelledImage::file)
            .toList());
        for (int i = 0; i < part.size(); i++) {
          seen++;
          if (out.get(i).best().label().equals(labels.get(part.get(i).label()))) {
            right++;
          }
        }
      }
      return seen == 0 ? null : new Comparison(right / (double) seen, seen);
    } catch (KilnException e) {
      return null;
    }
  }
}
