package dev.kiln.maven.goal;

import dev.kiln.maven.files.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.Evaluation;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code evaluate} goal's work: run the built model through the runtime on a separate
 * labelled folder, write {@code evaluation.json}, apply the {@code minTestAccuracy} gate.
 */
public final class EvaluateGoal {

  /**
   * @param model the built {@code .onnx}
   * @param testImages folder with one sub-folder per label
   * @param includes include patterns
   * @param excludes exclude patterns
   * @param output the evaluation JSON to write
   * @param minTestAccuracy gate in [0, 1]
   * @param device where the model runs
   */
  public record Request(Path model, Path testImages, List<String> includes, List<String> excludes,
      Path output, double minTestAccuracy, dev.kiln.runtime.Device device) {
    public Request {
      if (minTestAccuracy < 0 || minTestAccuracy > 1) {
        throw new IllegalArgumentException("minTestAccuracy must be between 0 and 1, was "
            + minTestAccuracy);
      }
    }
  }

  private EvaluateGoal() {}

  /**
   * @param r what to evaluate
   * @param listener progress
   * @return the evaluation
   * @throws UserProblemException missing model or folder, unknown labels, or the gate failed
   */
  public static Evaluation run(Request r, ProgressListener listener) throws UserProblemException {
    if (!Files.isRegularFile(r.model())) {
      throw new UserProblemException("no model at " + r.model() + "; run the train goal first"
          + " (mvn package)");
    }
    Dataset test = DatasetScanner.scanAll(r.testImages(), r.includes(), r.excludes());
    try (ImageClassifier classifier = ImageClassifier.load(r.model(),
        ClassifierOptions.defaults().withDevice(r.device()))) {
      List<String> labels = classifier.labels();
      for (String l : test.labels()) {
        if (!labels.contains(l)) {
          throw new UserProblemException("test folder " + test.root().resolve(l) + " is not a"
              + " label of the model; its labels are " + labels);
        }
      }
      List<Integer> actual = new ArrayList<>();
      List<float[]> probabilities = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (LabelledImage image : test.validation()) {
        try {
          probabilities.add(classifier.classify(image.file()).scores());
          actual.add(labels.indexOf(test.labels().get(image.label())));
          names.add(image.relativePath());
        } catch (KilnException e) {
          listener.warn("skipped " + image.relativePath() + ": " + e.getMessage());
        }
      }
      if (names.isEmpty()) {
        throw new UserProblemException("no readable test image in " + test.root());
      }
      Evaluation e = Evaluation.of(labels, actual.stream().mapToInt(Integer::intValue).toArray(),
          probabilities.toArray(float[][]::new), names, 12, "the " + names.size()
              + " readable photos of " + test.root());
      AtomicFiles.write(r.output(), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(e));
      if (e.accuracy() < r.minTestAccuracy()) {
        throw new UserProblemException(String.format(Locale.ROOT,
            "test accuracy %.4f is below minTestAccuracy %.4f (%d images); see %s",
            e.accuracy(), r.minTestAccuracy(), e.images(), r.output()));
      }
      return e;
    } catch (KilnException e) {
      throw new UserProblemException("cannot load model " + r.model() + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + r.output() + ": " + e.getMessage(), e);
    }
  }
}
