package dev.kiln.maven.backbone;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Backbones Kiln knows by name, read from the resource {@code catalogue.tsv} in this package (one
 * entry a line: name, family, download URL, the SHA-256 Kiln verified or {@code -}, input size):
 * the keras-applications MobileNet v1, MobileNetV2, ResNet50 and VGG16/19 ImageNet weights without
 * the classifier top, and the keras-squeezenet SqueezeNet v1.1. A pinned SHA-256 is verified on
 * every download; entries without one are recorded in the project's {@code kiln-backbones.lock}
 * at their first download. Adding an entry is a line in that file.
 */
public final class BackboneCatalog {

  /** Where Keras downloads MobileNet v1 weights from. */
  static final String KERAS_BASE =
      "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/";

  /**
   * @param name catalogue name, e.g. {@code mobilenet_v1_0.25_224}
   * @param fileName the file's name in the cache and on mirrors
   * @param url where it is downloaded from
   * @param sha256 pinned SHA-256 (lower-case hex), or null when Kiln has none
   * @param inputSize the input size the weights were trained at
   * @param family the family, for listings
   */
  public record Entry(String name, String fileName, URI url, String sha256, int inputSize,
      String family) {}

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
        String url = f[2];
        entries.add(new Entry(f[0], url.substring(url.lastIndexOf('/') + 1), URI.create(url),
            f[3].equals("-") ? null : f[3], Integer.parseInt(f[4].trim()), f[1]));
      }
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalStateException("Kiln's backbone catalogue is unreadable: " + e, e);
    }
    return Collections.unmodifiableList(entries);
  }

  private BackboneCatalog() {}

  /** @return every entry */
  public static List<Entry> entries() {
    return ENTRIES;
  }

  /** @return the catalogue names, for messages */
  public static List<String> names() {
    return ENTRIES.stream().map(Entry::name).toList();
  }

  /**
   * @param name a catalogue name (case-insensitive; {@code mobilenet_v1_0.25} means 224)
   * @return the entry, if the name is known
   */
  public static Optional<Entry> find(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    String full = n.matches("mobilenet_v[12]_[0-9.]+|squeezenet_1\\.1|resnet50|vgg1[69]")
        ? n + "_224" : n;
    return ENTRIES.stream().filter(e -> e.name().equals(full)).findFirst();
  }
}
