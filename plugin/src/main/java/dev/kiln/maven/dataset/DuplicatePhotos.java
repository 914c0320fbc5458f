package dev.kiln.maven.dataset;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Exact duplicate photos, by content hash — a common defect of scraped or merged data sets that
 * inflates accuracy. The same photo under two labels cannot be right under both: every copy is
 * left out (or, with {@code failOnBadImages}, the build fails). The same photo on both sides of
 * the split is kept on the training side only; more copies on one side keep the first. Each case
 * is a warning naming the files.
 */
public final class DuplicatePhotos {

  /** Content hash of a photo. */
  @FunctionalInterface
  public interface Hasher {
    /** @return the photo's content hash */
    String hash(Path file) throws IOException;
  }

  /**
   * @param dataset the data set cleaned of duplicates, the warnings added
   * @param conflicts one line per photo found under more than one label
   * @param leftOut how many files were left out
   */
  public record Result(Dataset dataset, List<String> conflicts, int leftOut) {}

  private DuplicatePhotos() {}

  /**
   * @param data the scanned data set
   * @param hasher content hash per file
   * @return the data set without duplicates
   * @throws IOException when a file cannot be read
   */
  public static Result resolve(Dataset data, Hasher hasher) throws IOException {
    Map<String, List<LabelledImage>> byHash = new LinkedHashMap<>();
    Set<String> validation = new java.util.HashSet<>();
    for (LabelledImage i : data.validation()) {
      validation.add(i.relativePath());
    }
    List<LabelledImage> all = new ArrayList<>(data.train());
    all.addAll(data.validation());
    for (LabelledImage i : all) {
      byHash.computeIfAbsent(hasher.hash(i.file()), k -> new ArrayList<>()).add(i);
    }
    Set<String> drop = new TreeSet<>();
    List<String> warnings = new ArrayList<>();
    List<String> conflicts = new ArrayList<>();
    for (List<LabelledImage> same : byHash.values()) {
      if (same.size() < 2) {
        continue;
      }
      same.sort(Comparator.comparing((LabelledImage i) -> validation.contains(i.relativePath()))
          .thenComparing(LabelledImage::relativePath)); // training side first, then by path
      List<String> paths = same.stream().map(LabelledImage::relativePath).toList();
      if (same.stream().map(LabelledImage::label).distinct().count() > 1) {
        String line = "the same photo is under different labels: " + String.join(", ", paths)
            + "; it cannot be right under both, so every copy is left out; keep it in the one"
            + " right folder";
        conflicts.add(line);
        warnings.add(line);
        paths.forEach(drop::add);
      } else {
        LabelledImage kept = same.get(0);
        boolean bothSides = same.stream().anyMatch(i -> validation.contains(i.relativePath()))
            && !validation.contains(kept.relativePath());
        warnings.add((bothSides ? "the same photo is on both sides of the split: "
            : "duplicate photos: ") + String.join(", ", paths) + "; only " + kept.relativePath()
            + " is used" + (bothSides ? " (training side), so validation measures new photos" : ""));
        paths.subList(1, paths.size()).forEach(drop::add);
      }
    }
    if (drop.isEmpty()) {
      return new Result(data, List.of(), 0);
    }
    List<LabelledImage> train = data.train().stream()
        .filter(i -> !drop.contains(i.relativePath())).toList();
    List<LabelledImage> val = data.validation().stream()
        .filter(i -> !drop.contains(i.relativePath())).toList();
    warnings.add(drop.size() + " duplicate photo(s) left out");
    return new Result(data.with(train, val, warnings), conflicts, drop.size());
  }
}
