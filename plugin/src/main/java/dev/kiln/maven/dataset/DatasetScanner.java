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
import org.codehaus.plexus.util.SelectorUtils;

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
   * @param followLinks follow symbolic links (each real folder at most once)
   */
  public record Request(Path root, List<String> includes, List<String> excludes,
      double validationSplit, long seed, boolean followLinks) {

    /** A request that follows links. */
    public Request(Path root, List<String> includes, List<String> excludes,
        double validationSplit, long seed) {
      this(root, includes, excludes, validationSplit, seed, true);
    }

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
    try {
      return scanChecked(request);
    } catch (java.nio.file.InvalidPathException e) {
      throw unrepresentable(request.root(), e);
    }
  }

  /**
   * A file name the JVM cannot represent: under a POSIX locale (no {@code LANG}, as in many
   * containers) Java decodes file names as ASCII, and a non-ASCII label folder breaks.
   */
  static UserProblemException unrepresentable(Path root, Exception e) {
    return new UserProblemException("a file or folder name under " + root + " cannot be"
        + " represented in this JVM's file-name encoding (" + System.getProperty(
            "sun.jnu.encoding") + "): " + e.getMessage() + ". Run Maven with a UTF-8 locale,"
        + " e.g. LANG=C.UTF-8 mvn package (or export LC_ALL=C.UTF-8), or rename it to ASCII", e);
  }

  private static Dataset scanChecked(Request request) throws UserProblemException {
    Path root = request.root().toAbsolutePath().normalize();
    Walk walk = new Walk(request.followLinks());
    if (!Files.isDirectory(root)) {
      throw new UserProblemException("image folder " + root + " does not exist; put one folder per"
          + " label there (e.g. " + root.resolve("cats") + "/*.jpg) or set <images> (kiln.images)");
    }
    Path trainDir = root.resolve("train");
    Path valDir = Files.isDirectory(root.resolve("val")) ? root.resolve("val")
        : root.resolve("validation");
    if (Files.isDirectory(trainDir) && Files.isDirectory(valDir)) {
      return explicit(root, trainDir, valDir, request, walk);
    }
    List<String> labels = labelFolders(root);
    checkLabelCount(root, labels);
    walk.own(root, labels);
    List<LabelledImage> train = new ArrayList<>();
    List<LabelledImage> val = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      List<String> files = images(root, labels.get(i), request, true, walk);
      if (files.size() < 2) {
        throw new UserProblemException("label '" + labels.get(i) + "' has only " + files.size()
            + " image(s) in " + root.resolve(labels.get(i)) + "; the automatic train/validation"
            + " split needs at least 2 per label (add images, or use train/ and val/ folders)");
      }
      split(root, labels.get(i), i, files, request, train, val);
    }
    return new Dataset(root, labels, train, val, false, walk.warnings());
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
      for (String f : images(dir, labels.get(i), request, false, new Walk(true))) {
        all.add(image(dir, dir.resolve(labels.get(i)).resolve(f), i));
      }
    }
    return new Dataset(dir, labels, List.of(), all, true);
  }

  private static Dataset explicit(Path root, Path trainDir, Path valDir, Request request,
      Walk walk) throws UserProblemException {
    List<String> labels = labelFolders(trainDir);
    checkLabelCount(trainDir, labels);
    walk.own(root, List.of());
    walk.own(trainDir, labels);
    walk.own(valDir, labelFolders(valDir));
    for (String v : labelFolders(valDir)) {
      if (!labels.contains(v)) {
        throw new UserProblemException("validation label folder " + valDir.resolve(v)
            + " has no counterpart in " + trainDir + "; labels there are " + labels);
      }
    }
    List<LabelledImage> train = new ArrayList<>();
    List<LabelledImage> val = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      for (String f : images(trainDir, labels.get(i), request, true, walk)) {
        train.add(image(root, trainDir.resolve(labels.get(i)).resolve(f), i));
      }
      if (Files.isDirectory(valDir.resolve(labels.get(i)))) {
        for (String f : images(valDir, labels.get(i), request, false, walk)) {
          val.add(image(root, valDir.resolve(labels.get(i)).resolve(f), i));
        }
      }
    }
    if (val.isEmpty()) {
      throw new UserProblemException("validation folder " + valDir + " holds no images; put"
          + " images in " + valDir + "/<label>/ or remove it to split automatically");
    }
    return new Dataset(root, labels, train, val, true, walk.warnings());
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
      List<String> names = s.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .toList();
      for (String n : names) {
        if (n.indexOf('\uFFFD') >= 0) {
          throw unrepresentable(dir, new IllegalArgumentException("folder '" + n + "' in " + dir));
        }
      }
      return names;
    } catch (java.io.IOException e) {
      throw new UserProblemException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * One scan's walk over label folders: symbolic links are followed (unless {@code
   * followLinks} is off) but every real folder is entered at most once — a link back to a parent
   * (a loop), to another label's folder or to a folder seen before is skipped with a warning
   * naming it, so no photo is counted twice or under a second label.
   */
  static final class Walk {
    final boolean followLinks;
    final java.util.Set<Path> seen = new java.util.HashSet<>();
    final java.util.Set<Path> owned = new java.util.HashSet<>();
    final List<String> warnings = new ArrayList<>();
    /** Photos in formats Kiln cannot decode, left out by the includes. */
    final List<String> undecodable = new ArrayList<>();

    Walk(boolean followLinks) {
      this.followLinks = followLinks;
    }

    /** @return the walk's warnings, the formats Kiln cannot decode last, as one line */
    List<String> warnings() {
      List<String> all = new ArrayList<>(warnings);
      String undecodable = undecodableWarning(this.undecodable);
      if (undecodable != null) {
        all.add(undecodable);
      }
      return all;
    }

    /** Marks {@code dir} and its label folders as owned: no link may lead into them. */
    void own(Path dir, List<String> labels) {
      owned.add(real(dir));
      for (String l : labels) {
        owned.add(real(dir.resolve(l)));
      }
    }

    static Path real(Path p) {
      try {
        return p.toRealPath();
      } catch (java.io.IOException e) {
        return p.toAbsolutePath().normalize();
      }
    }
  }

  private static List<String> images(Path parent, String label, Request request, boolean required,
      Walk walk) throws UserProblemException {
    Path dir = parent.resolve(label);
    List<String> found = new ArrayList<>();
    java.util.Set<java.nio.file.FileVisitOption> options = walk.followLinks
        ? java.util.EnumSet.of(java.nio.file.FileVisitOption.FOLLOW_LINKS)
        : java.util.EnumSet.noneOf(java.nio.file.FileVisitOption.class);
    Path start = Walk.real(dir);
    walk.seen.add(start);
    try {
      Files.walkFileTree(dir, options, Integer.MAX_VALUE, new java.nio.file.SimpleFileVisitor<>() {
        @Override
        public java.nio.file.FileVisitResult preVisitDirectory(Path d,
            java.nio.file.attribute.BasicFileAttributes attrs) {
          if (d.equals(dir)) {
            return java.nio.file.FileVisitResult.CONTINUE;
          }
          if (d.getFileName().toString().startsWith(".")) {
            return java.nio.file.FileVisitResult.SKIP_SUBTREE;
          }
          Path real = Walk.real(d);
          boolean inside = Files.isSymbolicLink(d) && real.startsWith(start); // reachable anyway
          if (inside || walk.owned.contains(real) || !walk.seen.add(real)) {
            walk.warnings.add("skipped link " + rel(parent, d) + ": it leads to " + real
                + ", which is scanned already (a loop, another label's folder, or a second way"
                + " to the same photos); Kiln enters each real folder once");
            return java.nio.file.FileVisitResult.SKIP_SUBTREE;
          }
          return java.nio.file.FileVisitResult.CONTINUE;
        }

        @Override
        public java.nio.file.FileVisitResult visitFile(Path f,
            java.nio.file.attribute.BasicFileAttributes attrs) {
          String relative = dir.relativize(f).toString().replace(File.separatorChar, '/');
          if (attrs.isSymbolicLink()) {
            walk.warnings.add("skipped link " + rel(parent, f) + ": " + (walk.followLinks
                ? danglingLink(f) : "followLinks is off"));
          } else if (attrs.isRegularFile() && matches(relative, request)) {
            found.add(relative);
          } else if (attrs.isRegularFile() && undecodable(relative, request)) {
            walk.undecodable.add(rel(parent, f));
          }
          return java.nio.file.FileVisitResult.CONTINUE;
        }

        @Override
        public java.nio.file.FileVisitResult visitFileFailed(Path f, java.io.IOException e) {
          walk.warnings.add("skipped " + rel(parent, f) + ": " + (e
              instanceof java.nio.file.FileSystemLoopException ? "a link loop" : e.toString()));
          return java.nio.file.FileVisitResult.CONTINUE;
        }
      });
    } catch (java.io.IOException e) {
      throw new UserProblemException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    if (found.isEmpty() && required) {
      throw new UserProblemException("label folder " + dir + " has no images matching "
          + request.includes() + (request.excludes().isEmpty() ? "" : " minus " + request.excludes())
          + "; add images or remove the folder");
    }
    return found.stream().sorted().toList();
  }

  /**
   * Photo formats Kiln cannot decode (ImageIO has no reader for them): files of these types are
   * not among the default includes, and a scan that leaves them out says so.
   */
  static final List<String> UNDECODABLE = List.of("webp", "heic", "heif", "avif");

  /** @return true for a file the includes leave out only because Kiln cannot decode its type */
  static boolean undecodable(String relative, Request request) {
    String name = relative.substring(relative.lastIndexOf('/') + 1);
    String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(java.util.Locale.ROOT);
    String path = relative.replace('/', File.separatorChar);
    return !name.startsWith(".") && name.contains(".") && UNDECODABLE.contains(ext)
        && request.excludes().stream().noneMatch(p -> SelectorUtils.matchPath(
            p.replace('/', File.separatorChar).replace('\\', File.separatorChar), path, false));
  }

  /**
   * @return one warning for the photos left out because Kiln cannot decode their format, or null
   *     when there are none
   */
  static String undecodableWarning(List<String> files) {
    if (files.isEmpty()) {
      return null;
    }
    List<String> sorted = files.stream().sorted().toList();
    String types = sorted.stream().map(f -> f.substring(f.lastIndexOf('.'))
        .toLowerCase(java.util.Locale.ROOT)).distinct().sorted()
        .collect(java.util.stream.Collectors.joining("/"));
    return "ignored " + files.size() + " " + types + " photo(s) (" + String.join(", ",
        sorted.subList(0, Math.min(5, sorted.size()))) + (sorted.size() > 5 ? ", …" : "")
        + "): Kiln cannot decode these formats; convert them to JPEG or PNG to train on them";
  }

  /** @return why a link the walk did not follow is skipped: it leads nowhere */
  static String danglingLink(Path link) {
    String target;
    try {
      target = Files.readSymbolicLink(link).toString();
    } catch (java.io.IOException | UnsupportedOperationException e) {
      target = "?";
    }
    return "it is a dangling link: its target " + target + " does not exist (or cannot be"
        + " reached); fix or remove the link";
  }

  private static String rel(Path parent, Path p) {
    return parent.relativize(p).toString().replace(File.separatorChar, '/');
  }

  /** Ant-style include/exclude patterns, any case; hidden files never match. */
  static boolean matches(String relative, Request request) {
    String name = relative.substring(relative.lastIndexOf('/') + 1);
    if (name.startsWith(".")) {
      return false;
    }
    String path = relative.replace('/', File.separatorChar);
    boolean included = request.includes().stream().anyMatch(p -> SelectorUtils.matchPath(
        p.replace('/', File.separatorChar).replace('\\', File.separatorChar), path, false));
    return included && request.excludes().stream().noneMatch(p -> SelectorUtils.matchPath(
        p.replace('/', File.separatorChar).replace('\\', File.separatorChar), path, false));
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
