package dev.kiln.maven.goal;

import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.Prediction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The {@code classify} goal's work: a preview of the built model on photos or folders given on
 * the command line, one line per photo with the top labels, through the same runtime the
 * application uses. Unreadable photos get a line saying why and do not stop the others.
 */
public final class ClassifyGoal {

  /** File name endings taken from folders (any case). */
  static final List<String> IMAGE_ENDINGS = List.of(".jpg", ".jpeg", ".png", ".gif", ".bmp");

  /**
   * @param model the built {@code .onnx}
   * @param inputs photos and folders (folders are searched recursively for images)
   * @param top labels shown per photo (≥ 1)
   * @param device where the model runs
   */
  public record Request(Path model, List<Path> inputs, int top, Device device) {
    public Request {
      Objects.requireNonNull(model, "model");
      inputs = List.copyOf(inputs);
      if (top < 1) {
        throw new IllegalArgumentException("top must be >= 1, was " + top);
      }
    }
  }

  /**
   * @param classified photos classified
   * @param failed photos that could not be read
   */
  public record Outcome(int classified, int failed) {}

  private ClassifyGoal() {}

  /**
   * @param r what to classify
   * @param out one line per photo
   * @return counts
   * @throws UserProblemException no model, no inputs, or an input that does not exist
   */
  public static Outcome run(Request r, Consumer<String> out) throws UserProblemException {
    if (!Files.isRegularFile(r.model())) {
      throw new UserProblemException("no model at " + r.model() + "; build it first (mvn"
          + " package), then run kiln:classify");
    }
    if (r.inputs().isEmpty()) {
      throw new UserProblemException("nothing to classify: pass photos or folders with"
          + " -Dkiln.inputs=photo.jpg,more/photos");
    }
    List<Path> photos = new ArrayList<>();
    for (Path input : r.inputs()) {
      if (Files.isDirectory(input)) {
        try (Stream<Path> s = Files.walk(input)) {
          photos.addAll(s.filter(Files::isRegularFile).filter(ClassifyGoal::isImage).sorted()
              .toList());
        } catch (IOException e) {
          throw new UserProblemException("cannot list " + input + ": " + e.getMessage(), e);
        }
      } else if (Files.isRegularFile(input)) {
        photos.add(input);
      } else {
        throw new UserProblemException("no such photo or folder: " + input
            + " (kiln.inputs; relative paths are relative to the project)");
      }
    }
    int ok = 0;
    int failed = 0;
    try (ImageClassifier classifier = ImageClassifier.load(r.model(),
        ClassifierOptions.defaults().withDevice(r.device()))) {
      for (Path photo : photos) {
        try {
          Classification c = classifier.classify(photo);
          out.accept(photo + ": " + c.topK(r.top()).stream().map(ClassifyGoal::format)
              .collect(Collectors.joining(", ")));
          ok++;
        } catch (KilnException e) {
          out.accept(photo + ": not classified: " + e.getMessage());
          failed++;
        }
      }
    } catch (KilnException e) {
      throw new UserProblemException("cannot load the model " + r.model() + ": "
          + e.getMessage(), e);
    }
    return new Outcome(ok, failed);
  }

  private static String format(Prediction p) {
    return String.format(Locale.ROOT, "%s %.3f", p.label(), p.probability());
  }

  private static boolean isImage(Path p) {
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return !name.startsWith(".") && IMAGE_ENDINGS.stream().anyMatch(name::endsWith);
  }
}
