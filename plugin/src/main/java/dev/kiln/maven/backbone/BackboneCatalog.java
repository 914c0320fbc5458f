package dev.kiln.maven.backbone;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Backbones Kiln knows by name, read from the resource {@code catalogue.tsv} in this package (its
 * header names the columns): per entry its family and variant in the {@link Families} registry,
 * download URL, size, the hash its publisher gives, the SHA-256 Kiln verified, parameters,
 * published ImageNet top-1, input size and default cut. A SHA-256 (Kiln's, or a publisher's) is
 * verified on every download; a publisher's MD5 on every download too, while the first
 * download's SHA-256 is recorded in the project's {@code kiln-backbones.lock} and verified from
 * then on. Adding an entry is a line in that file.
 */
public final class BackboneCatalog {

  /**
   * @param name catalogue name, e.g. {@code mobilenet_v1_0.25_224}
   * @param family the {@link Families} id, e.g. {@code mobilenet_v2}
   * @param variant the family's variant (e.g. {@code 0.5}), or null
   * @param fileName the file's name in the cache and on mirrors
   * @param url where it is downloaded from
   * @param bytes the file's size where known, else -1
   * @param md5 the publisher's MD5 (lower-case hex), or null
   * @param sha256 the SHA-256 Kiln pins (its own, or the publisher's), or null
   * @param parameters parameters without the top
   * @param top1 published ImageNet top-1 accuracy, percent
   * @param inputSize the input size the weights were trained at
   * @param defaultCut the feature layer used by default
   */
  public record Entry(String name, String family, String variant, String fileName, URI url,
      long bytes, String md5, String sha256, long parameters, double top1, int inputSize,
      String defaultCut) {
    public Entry {
      if (!Families.ids().contains(family)) {
        throw new IllegalArgumentException(name + ": unknown family " + family);
      }
      if (md5 != null && !md5.matches("[0-9a-f]{32}")
          || sha256 != null && !sha256.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException(name + ": malformed hash");
      }
    }

    /** @return the architecture of this entry's family and variant */
    Architecture architecture() {
      return Families.named(variant == null ? family : family + ":" + variant);
    }

    /** @return e.g. {@code MobileNetV2 α0.5}, for listings */
    public String familyName() {
      return Families.describe(family, variant);
    }
  }

  private static final List<Entry> ENTRIES = load();

  private static List<Entry> load() {
    List<Entry> entries = new ArrayList<>();
    try (var in = BackboneCatalog.class.getResourceAsStream("catalogue.tsv")) {
      String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      for (String line : text.split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t");
        String url = f[3];
        String published = none(f[5]);
        String md5 = published != null && published.startsWith("md5:")
            ? published.substring(4) : null;
        String sha = none(f[6]) != null ? f[6] : published != null
            && published.startsWith("sha256:") ? published.substring(7) : null;
        entries.add(new Entry(f[0], f[1], none(f[2]), url.substring(url.lastIndexOf('/') + 1),
            URI.create(url), none(f[4]) == null ? -1 : Long.parseLong(f[4]), md5, sha,
            Long.parseLong(f[7]), Double.parseDouble(f[8]), Integer.parseInt(f[9]),
            f[10].trim()));
      }
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalStateException("Kiln's backbone catalogue is unreadable: " + e, e);
    }
    return Collections.unmodifiableList(entries);
  }

  private static String none(String field) {
    return field.trim().equals("-") ? null : field.trim();
  }

  private BackboneCatalog() {}

  /** @return every entry */
  public static List<Entry> entries() {
    return ENTRIES;
  }

  /** @return the family ids with their variants, as {@code backboneFamily} takes them */
  public static String families() {
    return Families.listed();
  }

  /** @return the catalogue names, for messages */
  public static List<String> names() {
    return ENTRIES.stream().map(Entry::name).toList();
  }

  /**
   * @param name a catalogue name (case-insensitive), or its short form without the input size
   *     ({@code mobilenet_v1_0.25} means the largest size catalogued under that name, 224)
   * @return the entry, if the name is known
   */
  public static Optional<Entry> find(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    Optional<Entry> exact = ENTRIES.stream().filter(e -> e.name().equals(n)).findFirst();
    return exact.isPresent() ? exact : ENTRIES.stream()
        .filter(e -> e.name().equals(n + "_" + e.inputSize()))
        .max(java.util.Comparator.comparingInt(Entry::inputSize));
  }
}
