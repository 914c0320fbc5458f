package dev.kiln.maven.changes;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What changed since the model a build replaces, from the two builds' records ({@link
 * BuildRecord}): the photos are matched by content (SHA-256), so a photo moved to another label
 * folder is the same photo, relabelled. The two models are compared on the photos both have an
 * honest prediction for, each judged by the label the photo has now: per-label accuracy before and
 * after, the photos the new model now gets right and those it now gets wrong.
 *
 * @param previousSource which photos the previous build predicted, by what
 * @param source which photos this build predicted, by what
 * @param compared how many photos both builds predicted honestly (matched by content)
 * @param accuracyBefore the previous model's accuracy on them, by their labels now (null when
 *     none were compared)
 * @param accuracyAfter this model's accuracy on them (null when none were compared)
 * @param perLabel accuracy before and after per label (labels of both builds, by name)
 * @param nowRight photos the previous model got wrong and this one gets right
 * @param nowWrong photos the previous model got right and this one gets wrong
 * @param added photos whose content is new, by path
 * @param removed photos whose content is gone, by their previous path
 * @param changed photos whose path stayed but whose bytes changed
 * @param relabelled photos whose bytes now lie under another label
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelChanges(
    @JsonProperty("previousSource") String previousSource,
    @JsonProperty("source") String source,
    @JsonProperty("compared") int compared,
    @JsonProperty("accuracyBefore") Double accuracyBefore,
    @JsonProperty("accuracyAfter") Double accuracyAfter,
    @JsonProperty("perLabel") List<LabelChange> perLabel,
    @JsonProperty("nowRight") List<PhotoChange> nowRight,
    @JsonProperty("nowWrong") List<PhotoChange> nowWrong,
    @JsonProperty("added") List<String> added,
    @JsonProperty("removed") List<String> removed,
    @JsonProperty("changed") List<String> changed,
    @JsonProperty("relabelled") List<Relabelled> relabelled) {

  public ModelChanges {
    Objects.requireNonNull(previousSource, "previousSource");
    Objects.requireNonNull(source, "source");
    perLabel = List.copyOf(perLabel);
    nowRight = List.copyOf(nowRight);
    nowWrong = List.copyOf(nowWrong);
    added = List.copyOf(added);
    removed = List.copyOf(removed);
    changed = List.copyOf(changed);
    relabelled = List.copyOf(relabelled);
  }

  /**
   * @param label the label
   * @param photos compared photos with this label now
   * @param before the previous model's accuracy on them (null with none)
   * @param after this model's (null with none)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record LabelChange(String label, int photos, Double before, Double after) {}

  /**
   * @param path the photo, relative to the images folder
   * @param label its label now
   * @param before what the previous model believed
   * @param after what this model believes
   * @param probability the probability this model gives its label
   */
  public record PhotoChange(String path, String label, String before, String after,
      double probability) {}

  /**
   * @param path where the photo is now
   * @param previousPath where it was
   * @param from its previous label
   * @param to its label now
   */
  public record Relabelled(String path, String previousPath, String from, String to) {}

  /**
   * @param previous the replaced model's build record
   * @param current this build's
   * @return what changed between them
   */
  public static ModelChanges between(BuildRecord previous, BuildRecord current) {
    Map<String, BuildRecord.Photo> before = byContent(previous);
    Map<String, BuildRecord.Photo> after = byContent(current);
    Map<String, String> previousPathHash = new HashMap<>();
    previous.photos().forEach(p -> previousPathHash.put(p.path(), p.sha256()));
    Map<String, String> currentPathHash = new HashMap<>();
    current.photos().forEach(p -> currentPathHash.put(p.path(), p.sha256()));

    List<String> added = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    List<Relabelled> relabelled = new ArrayList<>();
    for (BuildRecord.Photo p : current.photos()) {
      BuildRecord.Photo old = before.get(p.sha256());
      if (old == null) {
        if (previousPathHash.containsKey(p.path())) {
          changed.add(p.path());
        } else {
          added.add(p.path());
        }
      } else if (!old.label().equals(p.label()) && after.get(p.sha256()) == p) {
        relabelled.add(new Relabelled(p.path(), old.path(), old.label(), p.label()));
      }
    }
    List<String> removed = new ArrayList<>();
    for (BuildRecord.Photo p : previous.photos()) {
      if (!after.containsKey(p.sha256()) && !currentPathHash.containsKey(p.path())) {
        removed.add(p.path());
      }
    }

    Map<String, int[]> perLabel = new LinkedHashMap<>(); // right before, right after, photos
    TreeSet<String> labels = new TreeSet<>(previous.labels());
    labels.addAll(current.labels());
    labels.forEach(l -> perLabel.put(l, new int[3]));
    List<PhotoChange> nowRight = new ArrayList<>();
    List<PhotoChange> nowWrong = new ArrayList<>();
    int compared = 0;
    int rightBefore = 0;
    int rightAfter = 0;
    for (BuildRecord.Photo now : after.values()) {
      BuildRecord.Photo then = before.get(now.sha256());
      if (then == null || !now.predictedHonestly() || !then.predictedHonestly()) {
        continue;
      }
      boolean wasRight = now.label().equals(then.predicted());
      boolean isRight = now.right();
      compared++;
      int[] counts = perLabel.computeIfAbsent(now.label(), l -> new int[3]);
      counts[2]++;
      if (wasRight) {
        rightBefore++;
        counts[0]++;
      }
      if (isRight) {
        rightAfter++;
        counts[1]++;
      }
      PhotoChange change = new PhotoChange(now.path(), now.label(), then.predicted(),
          now.predicted(), now.probability());
      if (isRight && !wasRight) {
        nowRight.add(change);
      } else if (wasRight && !isRight) {
        nowWrong.add(change);
      }
    }
    List<LabelChange> labelChanges = new ArrayList<>();
    perLabel.forEach((l, c) -> labelChanges.add(new LabelChange(l, c[2],
        c[2] == 0 ? null : c[0] / (double) c[2], c[2] == 0 ? null : c[1] / (double) c[2])));
    java.util.Comparator<PhotoChange> byPath = java.util.Comparator.comparing(PhotoChange::path);
    nowRight.sort(byPath);
    nowWrong.sort(byPath);
    return new ModelChanges(previous.source(), current.source(), compared,
        compared == 0 ? null : rightBefore / (double) compared,
        compared == 0 ? null : rightAfter / (double) compared, labelChanges, nowRight,
        nowWrong, added, removed, changed, relabelled);
  }

  /** One photo per content: the first by path (duplicates were warned about by the scan). */
  private static Map<String, BuildRecord.Photo> byContent(BuildRecord r) {
    Map<String, BuildRecord.Photo> m = new LinkedHashMap<>();
    for (BuildRecord.Photo p : r.photos()) {
      m.putIfAbsent(p.sha256(), p);
    }
    return m;
  }

  /** Photos named in the log line before "and N more". */
  static final int NAMED = 3;

  /** @return the log line: the comparison and what changed in the photos */
  @JsonIgnore
  public String line() {
    StringBuilder b = new StringBuilder();
    if (compared == 0) {
      b.append("no photo was predicted honestly by both models");
    } else {
      b.append(String.format(Locale.ROOT, "on the %d photos both models predicted without"
              + " training on them: previous %.1f%%, new %.1f%%; %d now right%s, %d now wrong%s",
          compared, accuracyBefore * 100, accuracyAfter * 100, nowRight.size(),
          named(nowRight.stream().map(PhotoChange::path).toList()), nowWrong.size(),
          named(nowWrong.stream().map(PhotoChange::path).toList())));
    }
    b.append(String.format(Locale.ROOT, "; photos since: %d added%s, %d removed%s, %d changed%s,"
            + " %d relabelled%s", added.size(), named(added), removed.size(), named(removed),
        changed.size(), named(changed), relabelled.size(), named(relabelled.stream()
            .map(r -> r.previousPath() + " -> " + r.to()).toList())));
    return b.toString();
  }

  private static String named(List<String> items) {
    if (items.isEmpty()) {
      return "";
    }
    String shown = String.join(", ", items.subList(0, Math.min(NAMED, items.size())));
    return " (" + shown + (items.size() > NAMED ? " and " + (items.size() - NAMED) + " more"
        : "") + ")";
  }
}
