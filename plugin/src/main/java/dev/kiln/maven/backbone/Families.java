package dev.kiln.maven.backbone;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The registry of backbone families: how each is recognised from the layer names of a weights
 * file. Adding a family is its {@link Architecture} class, one entry here and its catalogue
 * names in {@code catalogue.tsv}; nothing outside this package changes.
 */
final class Families {

  /**
   * @param description for messages, e.g. {@code MobileNetV2 (alpha 0.35-1.0)}
   * @param recognise the family's architecture for these weights, or empty when they are not its
   */
  record Family(String description,
      Function<Map<String, WeightTensor>, Optional<Architecture>> recognise) {}

  static final List<Family> ALL = List.of(
      new Family("keras-applications MobileNet v1 (alpha 0.25-1.0)", w -> {
        WeightTensor conv1 = w.get("conv1/kernel");
        return conv1 != null && w.containsKey("conv_dw_1/depthwise_kernel")
            && w.containsKey("conv_pw_13/kernel")
            ? Optional.of(new MobileNetV1(conv1.shape()[3] / 32.0)) : Optional.empty();
      }),
      new Family("MobileNetV2 (alpha 0.35-1.4, keras-applications 1.0.x names)", w -> {
        WeightTensor last = w.get("mobl16_conv_16_project/kernel");
        if (!w.containsKey("Conv1/kernel") || last == null) {
          return Optional.empty();
        }
        // the last projection has make_divisible(320·α, 8) filters: 112 → 0.35, 160 → 0.5, …
        for (double alpha : new double[] {0.35, 0.5, 0.75, 1.0, 1.3, 1.4}) {
          if (MobileNetV2.divisible(320 * alpha) == last.shape()[3]) {
            return Optional.of(new MobileNetV2(alpha));
          }
        }
        throw new IllegalArgumentException("a MobileNetV2 whose last block has "
            + last.shape()[3] + " filters: not a published alpha (0.35 to 1.4)");
      }),
      new Family("ResNet50 (keras-applications 2.x names)", w ->
          w.containsKey("conv1_conv/kernel") && w.containsKey("conv5_block3_3_conv/kernel")
              ? Optional.of(new ResNet50()) : Optional.empty()),
      new Family("VGG16, VGG19", w ->
          w.containsKey("block1_conv1/kernel") && w.containsKey("block5_conv3/kernel")
              ? Optional.of(new Vgg(w.containsKey("block5_conv4/kernel") ? 19 : 16))
              : Optional.empty()),
      new Family("SqueezeNet v1.1 (keras-squeezenet)", w ->
          w.containsKey("fire2/squeeze1x1/kernel") && w.containsKey("conv1/kernel")
              ? Optional.of(new SqueezeNet()) : Optional.empty()));

  private Families() {}

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

  /** @return the families, for messages */
  static String described() {
    return String.join("; ", ALL.stream().map(Family::description).toList());
  }
}
