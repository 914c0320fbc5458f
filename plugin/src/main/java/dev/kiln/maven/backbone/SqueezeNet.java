package dev.kiln.maven.backbone;

import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * SqueezeNet v1.1 (Iandola et al. 2016; DeepScale's Caffe weights as ported to Keras by
 * keras-squeezenet), with the port's layer names ({@code conv1}, {@code relu_conv1}, {@code
 * pool1}, {@code fire2/squeeze1x1}, {@code fire2/expand1x1}, {@code fire2/expand3x3}, {@code
 * fire2/concat}, …, {@code fire9/concat}): fire modules (1×1 squeeze, ReLU; 1×1 and 3×3 expand,
 * ReLU, concatenated), max pooling after conv1, fire3 and fire5. No BatchNorm. Caffe
 * preprocessing: BGR, the ImageNet mean subtracted, no scaling.
 */
public record SqueezeNet() implements Architecture {

  /** (squeeze, expand) filters of fires 2..9. */
  private static final int[][] FIRES = {
      {16, 64}, {16, 64}, {32, 128}, {32, 128}, {48, 192}, {48, 192}, {64, 256}, {64, 256}};

  @Override
  public String id() {
    return "squeezenet_1.1";
  }

  @Override
  public Preprocessing normalization(int size) {
    return FamilyParts.caffe(size);
  }

  @Override
  public List<String> featureLayers() {
    List<String> names = new ArrayList<>(List.of("relu_conv1", "pool1"));
    for (int f = 2; f <= 9; f++) {
      names.add("fire" + f + "/concat");
      if (f == 3) {
        names.add("pool3");
      } else if (f == 5) {
        names.add("pool5");
      }
    }
    return Collections.unmodifiableList(names);
  }

  @Override
  public List<String> blockOutputs() {
    return featureLayers().stream().filter(n -> n.endsWith("/concat")).toList();
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    if (!featureLayers().contains(cutAt)) {
      throw new IllegalArgumentException("SqueezeNet has no layer '" + cutAt + "'; valid: "
          + featureLayers());
    }
    b.addLayer("conv1", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nIn(3).nOut(64)
        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY).build(), input);
    b.addLayer("relu_conv1", relu(), "conv1");
    if (cutAt.equals("relu_conv1")) {
      return 64;
    }
    b.addLayer("pool1", pool(), "relu_conv1");
    if (cutAt.equals("pool1")) {
      return 64;
    }
    return addFires(b, "pool1", 0, cutAt);
  }

  private int addFires(GraphBuilder b, String input, int from, String cutAt) {
    String last = input;
    int channels = from == 0 ? 64 : 2 * FIRES[from - 1][1];
    for (int i = from; i < FIRES.length; i++) {
      String f = "fire" + (i + 2) + "/";
      b.addLayer(f + "squeeze1x1", conv(channels, FIRES[i][0], 1), last);
      b.addLayer(f + "relu_squeeze1x1", relu(), f + "squeeze1x1");
      b.addLayer(f + "expand1x1", conv(FIRES[i][0], FIRES[i][1], 1), f + "relu_squeeze1x1");
      b.addLayer(f + "relu_expand1x1", relu(), f + "expand1x1");
      b.addLayer(f + "expand3x3", conv(FIRES[i][0], FIRES[i][1], 3), f + "relu_squeeze1x1");
      b.addLayer(f + "relu_expand3x3", relu(), f + "expand3x3");
      b.addVertex(f + "concat", new MergeVertex(), f + "relu_expand1x1", f + "relu_expand3x3");
      last = f + "concat";
      channels = 2 * FIRES[i][1];
      if (cutAt.equals(last)) {
        return channels;
      }
      if (i == 1 || i == 3) { // pool3 after fire3, pool5 after fire5
        String pool = "pool" + (i + 2);
        b.addLayer(pool, pool(), last);
        last = pool;
        if (cutAt.equals(pool)) {
          return channels;
        }
      }
    }
    return channels;
  }

  private static ConvolutionLayer conv(int in, int out, int k) {
    return new ConvolutionLayer.Builder(k, k).nIn(in).nOut(out)
        .convolutionMode(k == 1 ? ConvolutionMode.Truncate : ConvolutionMode.Same)
        .activation(Activation.IDENTITY).build();
  }

  private static ActivationLayer relu() {
    return new ActivationLayer.Builder().activation(Activation.RELU).build();
  }

  private static SubsamplingLayer pool() {
    return new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(3, 3)
        .stride(2, 2).convolutionMode(ConvolutionMode.Truncate).build();
  }

  @Override
  public int trainableUnits() {
    return FIRES.length;
  }

  @Override
  public String cutBefore(int topUnits) {
    FamilyParts.checkUnits("SqueezeNet", FIRES.length, topUnits);
    int first = FIRES.length - topUnits; // index of the first trained fire
    if (first == 0) {
      return "pool1";
    }
    String previous = "fire" + (first + 1) + "/concat";
    return first == 2 ? "pool3" : first == 4 ? "pool5" : previous;
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    FamilyParts.checkUnits("SqueezeNet", FIRES.length, topUnits);
    return addFires(b, input, FIRES.length - topUnits, lastFeatureLayer());
  }

  @Override
  public long[] shapeAfter(String cut, int inputSize) {
    int index = featureLayers().indexOf(cut);
    if (index < 0) {
      throw new IllegalArgumentException("SqueezeNet has no layer '" + cut + "'");
    }
    long size = (inputSize - 3) / 2 + 1; // conv1, valid
    int channels = 64;
    List<String> layers = featureLayers();
    for (int i = 1; i <= index; i++) {
      String l = layers.get(i);
      if (l.startsWith("pool")) {
        size = (size - 3) / 2 + 1;
      } else {
        channels = 2 * FIRES[Integer.parseInt(l.substring(4, l.indexOf('/'))) - 2][1];
      }
    }
    return new long[] {channels, size, size};
  }
}
