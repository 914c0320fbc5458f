package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * VGG16 and VGG19 (Simonyan and Zisserman 2014) with keras-applications layer names ({@code
 * block1_conv1} … {@code block5_conv3} or {@code block5_conv4}, {@code block1_pool} … {@code
 * block5_pool}): 3×3 "same" convolutions with ReLU inside the layer, 2×2 max pooling after each
 * block. No BatchNorm. Caffe preprocessing: BGR, the ImageNet mean subtracted.
 *
 * @param depth 16 or 19
 */
public record Vgg(int depth) implements Architecture {

  private static final int[] FILTERS = {64, 128, 256, 512, 512};

  public Vgg {
    if (depth != 16 && depth != 19) {
      throw new IllegalArgumentException("VGG depth must be 16 or 19, was " + depth);
    }
  }

  private int convs(int block) {
    return block < 2 ? 2 : depth == 16 ? 3 : 4;
  }

  @Override
  public String id() {
    return "vgg" + depth;
  }

  @Override
  public Preprocessing normalization(int size) {
    return FamilyParts.caffe(size);
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>();
    for (int b = 0; b < FILTERS.length; b++) {
      for (int c = 1; c <= convs(b); c++) {
        names.add("block" + (b + 1) + "_conv" + c);
      }
      names.add("block" + (b + 1) + "_pool");
    }
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> blockOutputs() {
    return featureLayers().stream().filter(n -> n.endsWith("_pool")).toList();
  }

  @Override
  public String lastFeatureLayer() {
    return "block5_pool";
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException(id() + " has no layer '" + cutAt + "'; valid: "
          + featureLayers());
    }
    return addBlocks(b, input, 0, cutAt);
  }

  private int addBlocks(GraphBuilder b, String input, int from, String cutAt) {
    String last = input;
    int channels = from == 0 ? 3 : FILTERS[from - 1];
    for (int block = from; block < FILTERS.length; block++) {
      for (int c = 1; c <= convs(block); c++) {
        String name = "block" + (block + 1) + "_conv" + c;
        b.addLayer(name, new ConvolutionLayer.Builder(3, 3).nIn(channels).nOut(FILTERS[block])
            .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(), last);
        channels = FILTERS[block];
        last = name;
        if (cutAt.equals(last)) {
          return channels;
        }
      }
      String pool = "block" + (block + 1) + "_pool";
      b.addLayer(pool, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
          .kernelSize(2, 2).stride(2, 2).convolutionMode(ConvolutionMode.Truncate).build(), last);
      last = pool;
      if (cutAt.equals(last)) {
        return channels;
      }
    }
    return channels;
  }

  @Override
  public int trainableUnits() {
    return FILTERS.length;
  }

  @Override
  public String cutBefore(int topUnits) {
    FamilyParts.checkUnits(id(), FILTERS.length, topUnits);
    int first = FILTERS.length - topUnits;
    if (first == 0) {
      throw new IllegalArgumentException(id() + ": fine-tune at most " + (FILTERS.length - 1)
          + " blocks (the first block reads the image itself; use mode full)");
    }
    return "block" + first + "_pool";
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    return addBlocks(b, input, FILTERS.length - topUnits, lastFeatureLayer());
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException(id() + " has no layer '" + cut + "'");
    }
    long size = inputSize;
    int channels = 3;
    List<String> layers = featureLayers();
    for (int i = 0; i <= index; i++) {
      String l = layers.get(i);
      int block = l.charAt(5) - '1';
      if (l.endsWith("_pool")) {
        size /= 2;
      } else {
        channels = FILTERS[block];
      }
    }
    return new long[] {channels, size, size};
  }
}
