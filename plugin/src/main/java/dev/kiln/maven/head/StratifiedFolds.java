package dev.kiln.maven.head;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Stratified k-fold assignment: within each label, photos are ordered by a seeded hash of their
 * key (relative path) and dealt to the folds in turn, so every fold has each label's share and
 * the assignment does not depend on the order the rows come in.
 */
public final class StratifiedFolds {

  private StratifiedFolds() {}

  /**
   * @param labels label per row
   * @param keys stable key per row (relative path; rows with one key share a fold)
   * @param k folds wanted (reduced to the smallest label's count of distinct keys)
   * @param seed seed of the order
   * @return fold index per row, in {@code [0, folds)}
   * @throws IllegalArgumentException when a label has fewer than 2 rows
   */
  public static int[] assign(int[] labels, String[] keys, int k, long seed) {
    // one entry per distinct key (augmented copies share their photo's key and its fold)
    java.util.Map<String, Integer> first = new java.util.LinkedHashMap<>();
    for (int i = 0; i < labels.length; i++) {
      first.putIfAbsent(keys[i], i);
    }
    int[] photoLabels = first.values().stream().mapToInt(i -> labels[i]).toArray();
    int folds = folds(photoLabels, k);
    int classes = 0;
    for (int l : labels) {
      classes = Math.max(classes, l + 1);
    }
    List<List<String>> byLabel = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      byLabel.add(new ArrayList<>());
    }
    first.forEach((key, i) -> byLabel.get(labels[i]).add(key));
    java.util.Map<String, Integer> foldOf = new java.util.HashMap<>();
    int offset = 0;
    for (List<String> photos : byLabel) {
      photos.sort(Comparator.comparingLong((String key) -> hash(key, seed))
          .thenComparing(Comparator.naturalOrder()));
      for (int r = 0; r < photos.size(); r++) {
        foldOf.put(photos.get(r), (offset + r) % folds);
      }
      offset += photos.size(); // the next label starts where this one stopped: even fold sizes
    }
    int[] fold = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      fold[i] = foldOf.get(keys[i]);
    }
    return fold;
  }

  /**
   * @return true for the first row of each key (the photo itself; later rows with the same key
   *     are its augmented copies, which train but are never scored)
   */
  public static boolean[] firstOfKey(String[] keys) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    boolean[] first = new boolean[keys.length];
    for (int i = 0; i < keys.length; i++) {
      first[i] = seen.add(keys[i]);
    }
    return first;
  }

  /** @return the folds actually used: {@code min(k, smallest label count)} */
  public static int folds(int[] labels, int k) {
    if (k < 2) {
      throw new IllegalArgumentException("cross-validation needs at least 2 folds, was " + k);
    }
    int classes = 0;
    for (int l : labels) {
      classes = Math.max(classes, l + 1);
    }
    int[] counts = new int[classes];
    for (int l : labels) {
      counts[l]++;
    }
    int min = Integer.MAX_VALUE;
    for (int c : counts) {
      min = Math.min(min, c);
    }
    if (min < 2) {
      throw new IllegalArgumentException("cross-validation needs at least 2 readable photos per"
          + " label; a label has " + min);
    }
    return Math.min(k, min);
  }

  static long hash(String key, long seed) {
    long h = 0xcbf29ce484222325L ^ seed;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= b;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }
}
