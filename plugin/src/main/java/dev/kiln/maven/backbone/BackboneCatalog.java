package dev.kiln.maven.backbone;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Backbones Kiln knows by name: the keras-applications MobileNet v1 and MobileNetV2 ImageNet
 * weights without the classifier top ({@code mobilenet_v1_<alpha>_<size>}, {@code
 * mobilenet_v2_<alpha>_<size>}; the files Keras itself downloads into {@code ~/.keras/models}),
 * ResNet50 and VGG16/19 ({@code resnet50}, {@code vgg16}, {@code vgg19}), and SqueezeNet v1.1
 * ({@code squeezenet_1.1}, the keras-squeezenet port's file). A SHA-256 is
 * pinned where Kiln has verified the file; the other names
 * need the user's {@code backboneSha256}, so that no unverified download is ever used.
 */
public final class BackboneCatalog {

  /** Where Keras downloads MobileNet v1 weights from. */
  static final String KERAS_BASE =
      "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/";

  /** Where Keras downloads MobileNetV2 weights from. */
  static final String KERAS_V2_BASE =
      "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/";

  /** SHA-256 of the files Kiln has verified (the shared fixtures), by file name. */
  private static final Map<String, String> PINNED = Map.of(
      "mobilenet_2_5_224_tf_no_top.h5",
      "dbdb03ee2a22fd895301636cd328b234bb3a9952358f436d82f46b81e0d5b0bf",
      "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5",
      "279052de2cfa801003aa6cc25cc4d007d35dd0b76f06935268c79788b7642d05",
      "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
      "df1c3db1d0d9193719c4c70f707c56f7021f999f825bdc57454c275cf6def19f",
      "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5",
      "17154246284f555591549ac2c83e127abfbf4307dc4b0060fdaa2931d0fa38da");

  /** Where the keras-squeezenet port publishes its SqueezeNet v1.1 weights. */
  static final String SQUEEZENET_URL = "https://github.com/rcmalli/keras-squeezenet/releases/"
      + "download/v1.0/squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5";

  /**
   * @param name catalogue name, e.g. {@code mobilenet_v1_0.25_224}
   * @param fileName the file's name in the cache and on mirrors
   * @param url where it is downloaded from
   * @param sha256 pinned SHA-256 (lower-case hex), or null when Kiln has none
   * @param inputSize the input size the weights were trained at
   */
  public record Entry(String name, String fileName, URI url, String sha256, int inputSize) {}

  private static final List<Entry> ENTRIES;

  static {
    List<Entry> entries = new ArrayList<>();
    String[][] alphas = {{"0.25", "2_5"}, {"0.5", "5_0"}, {"0.75", "7_5"}, {"1.0", "1_0"}};
    for (String[] alpha : alphas) {
      for (int size : new int[] {128, 160, 192, 224}) {
        String file = String.format(Locale.ROOT, "mobilenet_%s_%d_tf_no_top.h5", alpha[1], size);
        entries.add(new Entry("mobilenet_v1_" + alpha[0] + "_" + size, file,
            URI.create(KERAS_BASE + file), PINNED.get(file), size));
      }
    }
    for (String alpha : new String[] {"0.35", "0.5", "0.75", "1.0"}) {
      for (int size : new int[] {128, 160, 192, 224}) {
        String file = String.format(Locale.ROOT,
            "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_%s_%d_no_top.h5", alpha, size);
        entries.add(new Entry("mobilenet_v2_" + alpha + "_" + size, file,
            URI.create(KERAS_V2_BASE + file), PINNED.get(file), size));
      }
    }
    // keras-applications' current files (tf.keras layer names); no SHA-256 pinned yet: the build
    // asks for backboneSha256 and names the URL
    String keras = "https://storage.googleapis.com/tensorflow/keras-applications/";
    for (String[] e : new String[][] {
        {"resnet50_224", "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"},
        {"vgg16_224", "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"},
        {"vgg19_224", "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"}}) {
      String file = e[1].substring(e[1].indexOf('/') + 1);
      entries.add(new Entry(e[0], file, URI.create(keras + e[1]), PINNED.get(file), 224));
    }
    String squeeze = "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5";
    entries.add(new Entry("squeezenet_1.1_224", squeeze, URI.create(SQUEEZENET_URL),
        PINNED.get(squeeze), 224));
    ENTRIES = Collections.unmodifiableList(entries);
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
