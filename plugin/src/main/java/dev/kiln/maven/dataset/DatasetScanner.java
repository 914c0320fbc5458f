package dev.kiln.maven.dataset;

import dev.kiln.maven.fingerprint.Hashes;
import dev.kiln.maven.problem.UserProblemException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.codehaus.plexus.util.DirectoryScanner;

/**
 * Scans a labelled image folder: one sub-folder per label, or {@code train/} and {@code val/}
 * sub-folders each holding one folder per label (the hymenoptera layout). Without explicit
 * sides, each image's side is decided by a seeded hash of its relative path, per label, so adding
 * images never moves the others.
 */
public final class DatasetScanner {

  /** Default includes: the common image extensions, any case. */
  public static final List<String> DEFAULT_INCLUDES = List.of(
      "**/*.jpg", "**/*.jpeg", "**/*.png", "**/*.gif", "**/*.bmp");

  /**
   * What to scan.
   *
   * @param root the dataset folder
   * @param includes Ant-style patterns relative to each label folder (empty: {@link
   *     #DEFAULT_INCLUDES})
   * @param excludes Ant-style patterns to leave out
   * @param validationSplit fraction of each label held out when there are no train/val folders
   * @param seed seed of the split hash
   */
  public record Request(Path root, List<String> includes, List<String> excludes,
      double validationSplit, long seed) {
    public Request {
      Objects.requireNonNull(root, "root");
      includes = includes == null || includes.isEmpty() ? DEFAULT_INCLUDES : List.copyOf(includes);
      excludes = excludes == null ? List.of() : List.copyOf(excludes);
      if (!(validationSplit > 0 && validationSplit < 1)) {
        throw new IllegalArgumentException(
            "validationSplit must be between 0 and 1 (e.g. 0.2), was " + validationSplit);
      }
    }
  }

  private DatasetScanner() {}

  /**
   * @param request what to scan
   * @return the dataset
   * @throws UserProblemException naming what was found and what to do
   */
  public static Dataset scan(Request request) throws UserProblemException {
    Path root = request.root().toAbsolutePath().normalize();
    if (!Files.isDirectory(root)) {
      throw new UserProblemException("image folder " + root + " does not exist; put one folder per"
          + " label there (e.g. " + root.resolve("cats") + "/*.jpg) or set <images> (kiln.images)");
    }
    Path trainDir = root.resolve("train");
    Path valDir = Files.isDirectory(root.resolve("val")) ? root.resolve("val")
        : root.resolve("validation");
    if (Files.isDirectory(trainDir) && Files.isDirectory(valDir)) {
      return explicit(root, trainDir, valDir, request);
    }
    List<String> labels = labelFolders(root);
    checkLabelCount(root, labels);
    List<LabelledImage> train = new ArrayList<>();
    List<LabelledImage> val = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      List<String> files = images(root, labels.get(i), request, true);
      if (files.size() < 2) {
        throw new UserProblemException("label '" + labels.get(i) + "' has only " + files.size()
            + " image(s) in " + root.resolve(labels.get(i)) + "; the automatic train/validation"
            + " split needs at least 2 per label (add images, or use train/ and val/ folders)");
      }
      split(root, labels.get(i), i, files, request, train, val);
    }
    return new Dataset(root, labels, train, val, false);
  }

  /**
   * Lists a labelled folder without splitting it (a test set): every image is on the validation
   * side.
   *
   * @param root folder with one sub-folder per label
   * @param includes include patterns (empty: common image types)
   * @param excludes exclude patterns
   * @return the dataset, labels sorted
   * @throws UserProblemException when the folder is missing or holds no label folder
   */
  public static Dataset scanAll(Path root, List<String> includes, List<String> excludes)
      throws UserProblemException {
    Request request = new Request(root, includes, excludes, 0.5, 0);
    Path dir = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      throw new UserProblemException("test image folder " + dir + " does not exist; set"
          + " <testImages> (kiln.testImages) to a folder with one sub-folder per label");
    }
    List<String> labels = labelFolders(dir);
    if (labels.isEmpty()) {
      throw new UserProblemException("test image folder " + dir + " has no label sub-folders");
    }
    List<LabelledImage> all = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      for (String f : images(dir, labels.get(i), request, false)) {
        all.add(image(dir, dir.resolve(labels.get(i)).resolve(f), i));
      }
    }
    return new Dataset(dir, labels, List.of(), all, true);
  }

  private static Dataset explicit(Path root, Path trainDir, Path valDir, Request request)
      throws UserProblemException {
    List<String> labels = labelFolders(trainDir);
    checkLabelCount(trainDir, labels);
    for (String v : labelFolders(valDir)) {
      if (!labels.contains(v)) {
        throw new UserProblemException("validation label folder " + valDir.resolve(v)
            + " has no counterpart in " + trainDir + "; labels there are " + labels);
      }
    }
    List<LabelledImage> train = new ArrayList<>();
    List<LabelledImage> val = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      for (String f : images(trainDir, labels.get(i), request, true)) {
        train.add(image(root, trainDir.resolve(labels.get(i)).resolve(f), i));
      }
      if (Files.isDirectory(valDir.resolve(labels.get(i)))) {
        for (String f : images(valDir, labels.get(i), request, false)) {
          val.add(image(root, valDir.resolve(labels.get(i)).resolve(f), i));
        }
      }
    }
    if (val.isEmpty()) {
      throw new UserProblemException("validation folder " + valDir + " holds no images; put"
          + " images in " + valDir + "/<label>/ or remove it to split automatically");
    }
    return new Dataset(root, labels, train, val, true);
  }

  private static void checkLabelCount(Path dir, List<String> labels) throws UserProblemException {
    if (labels.size() < 2) {
      throw new UserProblemException("found " + labels.size() + " label folder(s) " + labels
          + " in " + dir + "; a classifier needs at least 2: make one sub-folder per label, each"
          + " holding that label's images");
    }
  }

  private static List<String> labelFolders(Path dir) throws UserProblemException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .toList();
    } catch (java.io.IOException e) {
      throw new UserProblemException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static List<String> images(Path parent, String label, Request request, boolean required)
      throws UserProblemException {
    File dir = parent.resolve(label).toFile();
    DirectoryScanner scanner = new DirectoryScanner();
    scanner.setBasedir(dir);
    scanner.setCaseSensitive(false);
    scanner.setIncludes(request.includes().toArray(String[]::new));
    List<String> excludes = new ArrayList<>(request.excludes());
    excludes.add("**/.*");
    excludes.add("**/.*/**");
    scanner.setExcludes(excludes.toArray(String[]::new));
    scanner.scan();
    String[] files = scanner.getIncludedFiles();
    if (files.length == 0 && required) {
      throw new UserProblemException("label folder " + dir + " has no images matching "
          + request.includes() + (request.excludes().isEmpty() ? "" : " minus " + request.excludes())
          + "; add images or remove the folder");
    }
    return Arrays.stream(files).map(f -> f.replace(File.separatorChar, '/')).sorted().toList();
  }

  private static LabelledImage image(Path root, Path file, int label) {
    return new LabelledImage(file, root.relativize(file).toString().replace(File.separatorChar, '/'),
        label);
  }

  private static void split(Path root, String label, int index, List<String> files,
      Request request, List<LabelledImage> train, List<LabelledImage> val) {
    List<LabelledImage> images = files.stream()
        .map(f -> image(root, root.resolve(label).resolve(f), index)).toList();
    List<LabelledImage> chosen = new ArrayList<>();
    for (LabelledImage i : images) {
      if (fraction(request.seed(), i.relativePath()) < request.validationSplit()) {
        chosen.add(i);
      }
    }
    if (chosen.isEmpty()) {
      // every label gets at least one validation image: the one with the smallest hash
      chosen.add(images.stream().min(Comparator.comparingDouble(
          i -> fraction(request.seed(), i.relativePath()))).orElseThrow());
    }
    if (chosen.size() == images.size()) {
      chosen.remove(images.stream().max(Comparator.comparingDouble(
          i -> fraction(request.seed(), i.relativePath()))).orElseThrow());
    }
    for (LabelledImage i : images) {
      (chosen.contains(i) ? val : train).add(i);
    }
  }

  /** @return a number in [0, 1) fixed by the seed and the relative path */
  static double fraction(long seed, String relativePath) {
    byte[] h = Hashes.sha256().digest((seed + ":" + relativePath).getBytes(StandardCharsets.UTF_8));
    long v = 0;
    for (int i = 0; i < 7; i++) {
      v = (v << 8) | (h[i] & 0xff);
    }
    return v / (double) (1L << 56);
  }
}
