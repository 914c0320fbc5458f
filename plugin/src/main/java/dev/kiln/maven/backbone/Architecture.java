package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;

/**
 * A CNN family that Kiln can build as a DL4J graph with Keras layer names, so that Keras
 * weights load by name. New families (VGG, ResNet, ...) implement this.
 */
public interface Architecture {

  /** @return a short id, e.g. {@code mobilenet_v1_0.25} */
  String id();

  /**
   * @param size input width and height
   * @return the normalisation the pretrained weights expect, on raw RGB
   */
  Preprocessing normalization(int size);

  /** @return the layers the backbone can be cut after (activations), input to output */
  List<String> featureLayers();

  /**
   * Adds the feature layers up to and including {@code cutAt}.
   *
   * @param b the graph builder
   * @param input the name of the image input
   * @param cutAt the last layer to add (one of {@link #featureLayers()})
   * @return channels of the {@code cutAt} output
   */
  default int addFeatures(GraphBuilder b, String input, String cutAt) {
    return addFeatures(b, input, cutAt, false);
  }

  /**
   * Adds the feature layers up to and including {@code cutAt}, optionally in trainable form.
   *
   * @param b the graph builder
   * @param input the name of the image input
   * @param cutAt the last layer to add (one of {@link #featureLayers()})
   * @param folded true: every BatchNorm folded into a biased convolution (statistics frozen as
   *     pretrained, i.e. inference mode); false: convolutions without bias, then BatchNorm
   * @return channels of the {@code cutAt} output
   */
  int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded);

  /** @return how many units (blocks) can be unfrozen for fine-tuning */
  int trainableUnits();

  /**
   * @param topUnits how many top units are trained
   * @return the feature layer after which those units start (the end of the frozen part)
   */
  String cutBefore(int topUnits);

  /**
   * Adds the top {@code topUnits} units in trainable form (BatchNorm folded into the
   * convolutions: its statistics stay as pretrained, i.e. inference mode), up to the last
   * feature layer.
   *
   * @param b the graph builder
   * @param input the input: the output of {@link #cutBefore(int)}
   * @param topUnits how many units
   * @return channels of the last feature layer
   */
  int addTop(GraphBuilder b, String input, int topUnits);

  /**
   * @param cut a feature layer
   * @param inputSize input width and height
   * @return {@code [C, H, W]} of that layer's output
   */
  long[] shapeAfter(String cut, int inputSize);

  /**
   * @return the block outputs, input to output: where features from more than one depth are
   *     taken (MobileNet v1: each pointwise block's activation)
   */
  default List<String> blockOutputs() {
    return featureLayers();
  }

  /**
   * @param cut the deepest layer
   * @param depths how many block outputs, ending at {@code cut}
   * @return those layers, shallowest first
   * @throws IllegalArgumentException when fewer blocks precede the cut
   */
  default List<String> depthsEndingAt(String cut, int depths) {
    if (depths == 1) {
      return List.of(cut);
    }
    List<String> blocks = blockOutputs();
    int at = blocks.indexOf(cut);
    if (at < 0 || at + 1 < depths) {
      throw new IllegalArgumentException("featureDepths " + depths + " needs " + depths
          + " block outputs ending at " + cut + "; the blocks are " + blocks);
    }
    return List.copyOf(blocks.subList(at + 1 - depths, at + 1));
  }

  /**
   * @param conv a convolution's Keras name
   * @return the Keras name of the BatchNorm that follows it (folded into it in trainable form)
   */
  default String batchNormOf(String conv) {
    return conv + "_bn";
  }

  /**
   * @param weights the weights as read from the file, by Keras name
   * @return them as this family's graph takes them (default: unchanged; EfficientNet folds a
   *     constant layer of Keras' into the statistics of the layer before it)
   */
  default java.util.Map<String, WeightTensor> graphWeights(
      java.util.Map<String, WeightTensor> weights) {
    return weights;
  }

  /** @return the epsilon of the family's BatchNorm layers (Keras MobileNets: 1e-3) */
  default double batchNormEpsilon() {
    return 1e-3;
  }

  /**
   * @param size the input width and height
   * @throws IllegalArgumentException naming the sizes the family takes
   */
  default void checkInputSize(int size) {
    FamilyParts.checkInputSize(id(), 32, 512, size);
  }

  /**
   * @return the smallest input width and height the layers can take (random-weight tests run at
   *     this or 64 pixels, whichever is larger)
   */
  default int smallestInput() {
    return 32;
  }

  /**
   * @param weights a file's weights by {@code layer/weight}
   * @return them under the names this architecture's layers have (for files that name the same
   *     layers otherwise, e.g. Keras' generated names, mapped by position); idempotent
   */
  default java.util.Map<String, WeightTensor> named(java.util.Map<String, WeightTensor> weights) {
    return weights;
  }

  /** @return the default cut: the last feature layer */
  default String lastFeatureLayer() {
    List<String> layers = featureLayers();
    return layers.get(layers.size() - 1);
  }
}
