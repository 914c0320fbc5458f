package dev.kiln.maven.backbone;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The registry of backbone families: each family's id (as {@code catalogue.tsv} and the
 * {@code backboneFamily} setting name it), how its variants are built, and how it is recognised
 * from the layer names of a weights file. Adding a family is its {@link Architecture} class, one
 * entry here and its catalogue lines; nothing outside this package changes.
 */
final class Families {

  /**
   * @param id e.g. {@code mobilenet_v2}
   * @param name for messages, e.g. {@code MobileNetV2}
   * @param variants the variants {@code backboneFamily} accepts after the colon ("" when the
   *     family has none)
   * @param build the architecture of a variant (null when the family has none)
   * @param recognise the family's architecture for these weights, or empty when they are not its
   */
  record Family(String id, String name, String variants, Function<String, Architecture> build,
      Function<Map<String, WeightTensor>, Optional<Architecture>> recognise) {}

  private static final double[] V2_ALPHAS = {0.35, 0.5, 0.75, 1.0, 1.3, 1.4};

  static final List<Family> ALL = List.of(
      new Family("mobilenet_v1", "MobileNet v1", "0.25, 0.5, 0.75, 1.0",
          v -> new MobileNetV1(alpha(v, "mobilenet_v1")), w -> {
            WeightTensor conv1 = w.get("conv1/kernel");
            return conv1 != null && w.containsKey("conv_dw_1/depthwise_kernel")
                && w.containsKey("conv_pw_13/kernel")
                ? Optional.of(new MobileNetV1(conv1.shape()[3] / 32.0)) : Optional.empty();
          }),
      new Family("mobilenet_v2", "MobileNetV2", "0.35, 0.5, 0.75, 1.0, 1.3, 1.4",
          v -> new MobileNetV2(alpha(v, "mobilenet_v2")), w -> {
            WeightTensor last = w.getOrDefault("mobl16_conv_16_project/kernel",
                w.get("block_16_project/kernel")); // keras-applications 1.0.x, tf.keras names
            if (!w.containsKey("Conv1/kernel") || last == null) {
              return Optional.empty();
            }
            // the last projection has make_divisible(320·α, 8) filters: 112 → 0.35, 160 → 0.5, …
            for (double alpha : V2_ALPHAS) {
              if (MobileNetV2.divisible(320 * alpha) == last.shape()[3]) {
                return Optional.of(new MobileNetV2(alpha));
              }
            }
            throw new IllegalArgumentException("a MobileNetV2 whose last block has "
                + last.shape()[3] + " filters: not a published alpha (0.35 to 1.4)");
          }),
      new Family("resnet50", "ResNet50", "", v -> new ResNet50(), w ->
          w.containsKey("conv1_conv/kernel") && w.containsKey("conv5_block3_3_conv/kernel")
              ? Optional.of(new ResNet50()) : Optional.empty()),
      new Family("vgg16", "VGG16", "", v -> new Vgg(16), w ->
          w.containsKey("block1_conv1/kernel") && w.containsKey("block5_conv3/kernel")
              && !w.containsKey("block5_conv4/kernel")
              ? Optional.of(new Vgg(16)) : Optional.empty()),
      new Family("vgg19", "VGG19", "", v -> new Vgg(19), w ->
          w.containsKey("block5_conv4/kernel") ? Optional.of(new Vgg(19)) : Optional.empty()),
      new Family("squeezenet", "SqueezeNet", "1.1", v -> {
        if (v != null && !v.equals("1.1")) {
          throw new IllegalArgumentException("SqueezeNet variant must be 1.1; was " + v);
        }
        return new SqueezeNet();
      }, w -> w.containsKey("fire2/squeeze1x1/kernel") && w.containsKey("conv1/kernel")
          ? Optional.of(new SqueezeNet()) : Optional.empty()),
      new Family("densenet121", "DenseNet121", "", v -> new DenseNet(121),
          w -> denseNet(w, 121)),
      new Family("densenet169", "DenseNet169", "", v -> new DenseNet(169),
          w -> denseNet(w, 169)),
      new Family("densenet201", "DenseNet201", "", v -> new DenseNet(201),
          w -> denseNet(w, 201)),
      new Family("efficientnetb0", "EfficientNetB0", "", x -> new EfficientNet(0),
          w -> efficientNet(w, 0)),
      new Family("efficientnetb1", "EfficientNetB1", "", x -> new EfficientNet(1),
          w -> efficientNet(w, 1)),
      new Family("efficientnetb2", "EfficientNetB2", "", x -> new EfficientNet(2),
          w -> efficientNet(w, 2)),
      new Family("efficientnetb3", "EfficientNetB3", "", x -> new EfficientNet(3),
          w -> efficientNet(w, 3)),
      new Family("efficientnetb4", "EfficientNetB4", "", x -> new EfficientNet(4),
          w -> efficientNet(w, 4)),
      new Family("efficientnetb5", "EfficientNetB5", "", x -> new EfficientNet(5),
          w -> efficientNet(w, 5)),
      new Family("efficientnetb6", "EfficientNetB6", "", x -> new EfficientNet(6),
          w -> efficientNet(w, 6)),
      new Family("efficientnetb7", "EfficientNetB7", "", x -> new EfficientNet(7),
          w -> efficientNet(w, 7)),
      new Family("nasnet_mobile", "NASNetMobile", "", v -> NasNet.mobile(), w ->
          w.containsKey("stem_conv1/kernel") && w.containsKey("normal_conv_1_12/kernel")
              && !w.containsKey("normal_conv_1_13/kernel")
              ? Optional.of(NasNet.mobile()) : Optional.empty()),
      new Family("inception_v3", "InceptionV3", "", v -> new InceptionV3(), w ->
          w.keySet().stream().filter(k -> k.matches("conv2d(_\\d+)?/kernel")).count()
              == InceptionV3.CONVOLUTIONS && !w.containsKey("block35_1_conv/kernel")
              ? Optional.of(new InceptionV3()) : Optional.empty()),
      new Family("inception_resnet_v2", "InceptionResNetV2", "", v -> new InceptionResNetV2(),
          w -> w.containsKey("block35_1_conv/kernel") && w.containsKey("conv_7b/kernel")
              ? Optional.of(new InceptionResNetV2()) : Optional.empty()));

  /** EfficientNets differ in the width of top_conv and the blocks of their last stage. */
  private static Optional<Architecture> efficientNet(Map<String, WeightTensor> w, int variant) {
    return EfficientNet.recognise(w).filter(a -> a.equals(new EfficientNet(variant)));
  }

  /** DenseNets differ in the layers of dense block conv4: 24, 32 or 48. */
  private static Optional<Architecture> denseNet(Map<String, WeightTensor> w, int depth) {
    int layers = depth == 121 ? 24 : depth == 169 ? 32 : 48;
    return w.containsKey("conv1_conv/kernel") && w.containsKey("conv2_block1_0_bn/gamma")
        && w.containsKey("conv4_block" + layers + "_1_conv/kernel")
        && !w.containsKey("conv4_block" + (layers + 1) + "_1_conv/kernel")
        ? Optional.of(new DenseNet(depth)) : Optional.empty();
  }

  private Families() {}

  private static double alpha(String variant, String family) {
    if (variant == null) {
      throw new IllegalArgumentException(family + " needs its width multiplier: " + family
          + ":<alpha>, e.g. " + family + ":0.5");
    }
    try {
      return Double.parseDouble(variant);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(family + " alpha must be a number; was " + variant);
    }
  }

  /** @return every family id */
  static List<String> ids() {
    return ALL.stream().map(Family::id).toList();
  }

  /**
   * @param spec {@code id} or {@code id:variant}, e.g. {@code mobilenet_v2:0.5}, {@code resnet50}
   * @return that architecture
   * @throws IllegalArgumentException naming the valid ids and variants
   */
  static Architecture named(String spec) {
    String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
    int colon = s.indexOf(':');
    String id = colon < 0 ? s : s.substring(0, colon);
    String variant = colon < 0 ? null : s.substring(colon + 1);
    for (Family f : ALL) {
      if (f.id().equals(id)) {
        return f.build().apply(variant);
      }
    }
    throw new IllegalArgumentException("unknown backbone family '" + spec + "'; valid: "
        + listed());
  }

  /** @return e.g. {@code MobileNetV2 α0.5} */
  static String describe(String id, String variant) {
    Family f = ALL.stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
    return variant == null ? f.name()
        : f.variants().contains(",") ? f.name() + " α" + variant : f.name() + " v" + variant;
  }

  /**
   * @return the architecture of the first family that recognises the weights
   * @throws IllegalArgumentException when a family recognises them but not their variant
   */
  static Optional<Architecture> recognise(Map<String, WeightTensor> weights) {
    for (Family f : ALL) {
      Optional<Architecture> a = f.recognise().apply(weights);
      if (a.isPresent()) {
        return a;
      }
    }
    return Optional.empty();
  }

  /** @return the families with their variants, for messages */
  static String listed() {
    return String.join(", ", ALL.stream().map(f -> f.variants().isEmpty() ? f.id()
        : f.id() + ":<" + f.variants().replace(", ", "|") + ">").toList());
  }

  /** @return the families, for messages */
  static String described() {
    return String.join("; ", ALL.stream().map(f -> f.name()
        + (f.variants().isEmpty() ? "" : " (" + f.variants() + ")")).toList());
  }
}
