package dev.kiln.maven.cam;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.AttributeProto;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import dev.kiln.runtime.internal.Sessions;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Class activation maps from a shipped Kiln model: the model's head is found in its ONNX graph
 * (the output, back through softmax to one {@code Gemm} or {@code MatMul}, back through flatten
 * to a {@code GlobalAveragePool}); the pooled feature maps become a second output, so one forward
 * pass gives the probabilities and the maps {@code A_k}, and {@code CAM_c = Σ_k w_ck · A_k}. The
 * class weights are centred over the classes first (softmax ignores what all classes share, so
 * the map shows what tells this class from the others). Heads that are not one linear layer on
 * average-pooled maps are named, not drawn.
 */
public final class ClassActivationMaps {

  /** Nodes the probabilities pass through after the linear layer. */
  private static final Set<String> AFTER_HEAD = Set.of("Identity", "Softmax", "Dropout",
      "QuantizeLinear", "DequantizeLinear");

  /** Nodes between the pooling and the linear layer that keep each value. */
  private static final Set<String> BEFORE_HEAD = Set.of("Identity", "Flatten", "Reshape",
      "Squeeze", "Dropout", "QuantizeLinear", "DequantizeLinear");

  /** Photos per forward pass. */
  private static final int BATCH = 8;

  /**
   * The head, when it is one linear layer on average-pooled maps.
   *
   * @param maps the name of the pooled maps tensor
   * @param weights {@code [class][channel]}, centred over the classes
   */
  record Head(String maps, float[][] weights) {}

  /** Why the maps cannot be drawn for a model. */
  static final class NotLinear extends Exception {
    NotLinear(String why) {
      super(why);
    }
  }

  private ClassActivationMaps() {}

  /**
   * @param onnx the shipped model
   * @param metadata its contract (labels, preprocessing)
   * @param root the folder the photos' paths are relative to
   * @param photos the photos to draw, relative paths
   * @return their maps over them, or why none were drawn
   */
  public static ActivationMaps draw(byte[] onnx, ModelMetadata metadata, Path root,
      List<String> photos) {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(onnx);
    } catch (InvalidProtocolBufferException e) {
      return ActivationMaps.none("Activation maps not drawn: the model cannot be read ("
          + e.getMessage() + ").");
    }
    Head head;
    try {
      head = head(model.getGraph());
    } catch (NotLinear e) {
      return ActivationMaps.none("Activation maps not drawn: " + e.getMessage() + ". A class"
          + " activation map is exact only for a head that is one linear layer on"
          + " average-pooled feature maps (mode feature-extractor, fine-tune, full or scratch with"
          + " pooling avg, featureDepths 1, no hiddenUnits, no testTimeFlip, quantize none or"
          + " int8); a map drawn for this one would be wrong.");
    }
    ModelProto.Builder withMaps = model.toBuilder();
    withMaps.getGraphBuilder().addOutput(OnnxGraph.floatValue(head.maps(), (long[]) null));
    Map<String, ActivationMaps.Overlay> overlays = new LinkedHashMap<>();
    int[] sides = new int[2];
    try {
      Sessions.Opened opened = Sessions.open(withMaps.build().toByteArray(), "activation maps",
          ClassifierOptions.defaults().withDevice(Device.CPU));
      try (OrtSession session = opened.session()) {
        for (int from = 0; from < photos.size(); from += BATCH) {
          run(session, model.getGraph().getOutput(0).getName(), head, metadata, root,
              photos.subList(from, Math.min(photos.size(), from + BATCH)), overlays, sides);
        }
      }
    } catch (KilnException | OrtException e) {
      return ActivationMaps.none("Activation maps not drawn: ONNX Runtime could not run the"
          + " model with its feature maps as an output (" + e.getMessage() + ").");
    }
    return new ActivationMaps(String.format(Locale.ROOT, "Where the model looks: the class"
        + " activation map (Zhou et al. 2016) of the label the model believed, over the photo as"
        + " the model saw it; red where the %dx%d feature maps before its average pooling push"
        + " towards that label most, blue least. Exact for this head (one linear layer on the"
        + " average of those maps), from one forward pass of the shipped model.", sides[0],
        sides[1]), overlays);
  }

  private static void run(OrtSession session, String output, Head head, ModelMetadata metadata,
      Path root, List<String> batch, Map<String, ActivationMaps.Overlay> overlays, int[] sides)
      throws OrtException {
    Preprocessing spec = metadata.preprocessing();
    Map<String, BufferedImage> fitted = new LinkedHashMap<>();
    for (String photo : batch) {
      try {
        fitted.put(photo, Preprocessor.load(root.resolve(photo), spec));
      } catch (KilnException e) {
        // an unreadable photo has no map; the report shows it without one
      }
    }
    if (fitted.isEmpty()) {
      return;
    }
    int n = fitted.size();
    float[] input = new float[n * spec.tensorSize()];
    int i = 0;
    for (BufferedImage image : fitted.values()) {
      Preprocessor.writeTensor(image, spec, input, i++ * spec.tensorSize());
    }
    String inputName = session.getInputNames().iterator().next();
    try (OnnxTensor x = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
        FloatBuffer.wrap(input), spec.shape(n));
        OrtSession.Result r = session.run(Map.of(inputName, x), Set.of(output, head.maps()))) {
      OnnxTensor probs = (OnnxTensor) r.get(output).orElseThrow();
      OnnxTensor maps = (OnnxTensor) r.get(head.maps()).orElseThrow();
      long[] shape = maps.getInfo().getShape(); // [N, K, H, W]
      int k = (int) shape[1];
      int h = (int) shape[2];
      int w = (int) shape[3];
      sides[0] = h;
      sides[1] = w;
      FloatBuffer p = probs.getFloatBuffer();
      FloatBuffer a = maps.getFloatBuffer();
      int classes = p.remaining() / n;
      int j = 0;
      for (Map.Entry<String, BufferedImage> e : fitted.entrySet()) {
        float[] row = new float[classes];
        p.get(j * classes, row);
        int best = 0;
        for (int c = 1; c < classes; c++) {
          if (row[c] > row[best]) {
            best = c;
          }
        }
        float[][] cam = cam(a, j * k * h * w, k, h, w, head.weights()[best]);
        overlays.put(e.getKey(), new ActivationMaps.Overlay(
            HeatOverlay.dataUri(HeatOverlay.draw(e.getValue(), cam)),
            metadata.labels().get(best), row[best]));
        j++;
      }
    }
  }

  /**
   * @param maps feature maps, {@code [N, K, H, W]}
   * @param base where one photo's maps start
   * @param weights one class's weights, one per map
   * @return {@code CAM = Σ_k w_k · A_k}, {@code [H][W]}
   */
  static float[][] cam(FloatBuffer maps, int base, int k, int h, int w, float[] weights) {
    float[][] cam = new float[h][w];
    for (int ch = 0; ch < k; ch++) {
      float wk = weights[ch];
      int off = base + ch * h * w;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          cam[y][x] += wk * maps.get(off + y * w + x);
        }
      }
    }
    return cam;
  }

  /**
   * @return the head: the pooled maps' tensor and the linear layer's weights
   * @throws NotLinear naming what the head is instead
   */
  static Head head(GraphProto g) throws NotLinear {
    Map<String, NodeProto> producer = OnnxGraph.producers(g);
    Map<String, TensorProto> init = new HashMap<>();
    g.getInitializerList().forEach(t -> init.put(t.getName(), t));
    NodeProto n = producer.get(g.getOutput(0).getName());
    while (n != null && AFTER_HEAD.contains(n.getOpType())) {
      n = producer.get(n.getInput(0));
    }
    if (n == null) {
      throw new NotLinear("the model's output comes from no linear layer");
    }
    if (n.getOpType().equals("ReduceMean") && n.getName().startsWith("flip")) {
      throw new NotLinear("the model averages each photo with its mirror image (testTimeFlip)");
    }
    String x;
    float[][] weights;
    if (n.getOpType().equals("Gemm")) {
      x = n.getInput(0);
      weights = weights(n.getInput(1), attribute(n, "transB") == 1, init, producer);
      if (attribute(n, "transA") == 1) {
        throw new NotLinear("the head's Gemm transposes its input");
      }
    } else if (n.getOpType().equals("Add") && producer.get(n.getInput(0)) != null
        && producer.get(n.getInput(0)).getOpType().equals("MatMul")) {
      NodeProto mm = producer.get(n.getInput(0));
      x = mm.getInput(0);
      weights = weights(mm.getInput(1), false, init, producer);
    } else if (n.getOpType().equals("MatMul")) {
      x = n.getInput(0);
      weights = weights(n.getInput(1), false, init, producer);
    } else {
      throw new NotLinear("the classes come from " + n.getOpType() + " '" + n.getName() + "'");
    }
    NodeProto p = producer.get(x);
    while (p != null && BEFORE_HEAD.contains(p.getOpType())) {
      p = producer.get(p.getInput(0));
    }
    if (p == null) {
      throw new NotLinear("the head's input is the model's input");
    }
    if (p.getOpType().equals("GlobalAveragePool")) {
      return new Head(p.getInput(0), centred(weights));
    }
    throw new NotLinear(NOT_LINEAR.getOrDefault(p.getOpType(), "the head's features come from "
        + p.getOpType() + " '" + p.getName() + "'"));
  }

  /** What feeds the linear layer instead of average pooling, by operator, in words. */
  private static final Map<String, String> NOT_LINEAR = notLinear();

  private static Map<String, String> notLinear() {
    Map<String, String> m = new HashMap<>();
    m.put("GlobalMaxPool", "the features are max-pooled (pooling max)");
    m.put("Concat", "the features join several depths (featureDepths) or several backbones"
        + " (<backbone>a+b</backbone>)");
    for (String hidden : List.of("Relu", "Clip", "Gemm", "MatMul", "Add", "Sigmoid", "Tanh",
        "LeakyRelu", "Elu", "HardSwish", "HardSigmoid")) {
      m.put(hidden, "the head has a hidden layer (hiddenUnits)");
    }
    return Map.copyOf(m);
  }

  /** @return the weights as {@code [class][channel]} */
  private static float[][] weights(String name, boolean transposed, Map<String, TensorProto> init,
      Map<String, NodeProto> producer) throws NotLinear {
    TensorProto t = init.get(name);
    float[] v;
    long[] dims;
    if (t != null && t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
      v = OnnxGraph.floats(t);
      dims = dims(t);
    } else if (t == null && producer.get(name) != null
        && producer.get(name).getOpType().equals("DequantizeLinear")) {
      NodeProto dq = producer.get(name);
      TensorProto q = init.get(dq.getInput(0));
      if (q == null) {
        throw new NotLinear("the head's weights are not stored in the model");
      }
      v = dequantize(dq, q, init);
      dims = dims(q);
    } else if (t != null) {
      throw new NotLinear("the head's weights are not float32 (quantize fp16)");
    } else {
      throw new NotLinear("the head's weights are computed, not stored");
    }
    if (dims.length != 2) {
      throw new NotLinear("the head's weights are not a matrix");
    }
    int rows = (int) dims[0];
    int cols = (int) dims[1];
    int classes = transposed ? rows : cols;
    int channels = transposed ? cols : rows;
    float[][] w = new float[classes][channels];
    for (int c = 0; c < classes; c++) {
      for (int k = 0; k < channels; k++) {
        w[c][k] = transposed ? v[c * cols + k] : v[k * cols + c];
      }
    }
    return w;
  }

  /** DequantizeLinear of an int8 or uint8 initializer, per tensor or per axis. */
  private static float[] dequantize(NodeProto dq, TensorProto q, Map<String, TensorProto> init)
      throws NotLinear {
    int type = q.getDataType();
    if (type != TensorProto.DataType.INT8_VALUE && type != TensorProto.DataType.UINT8_VALUE) {
      throw new NotLinear("the head's weights are quantised to a type Kiln does not read");
    }
    byte[] raw = q.getRawData().toByteArray();
    if (raw.length == 0) {
      raw = new byte[q.getInt32DataCount()];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = (byte) q.getInt32Data(i);
      }
    }
    float[] scale = OnnxGraph.floats(init.get(dq.getInput(1)));
    int[] zero = new int[scale.length];
    if (dq.getInputCount() > 2 && init.containsKey(dq.getInput(2))) {
      TensorProto z = init.get(dq.getInput(2));
      byte[] zr = z.getRawData().toByteArray();
      for (int i = 0; i < zero.length && i < zr.length; i++) {
        zero[i] = z.getDataType() == TensorProto.DataType.UINT8_VALUE ? zr[i] & 0xff : zr[i];
      }
    }
    long[] dims = dims(q);
    long axis = scale.length == 1 ? 0 : attribute(dq, "axis", 1);
    long inner = 1;
    for (int d = (int) axis + 1; d < dims.length; d++) {
      inner *= dims[d];
    }
    float[] out = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      int c = scale.length == 1 ? 0 : (int) ((i / inner) % dims[(int) axis]);
      int value = type == TensorProto.DataType.UINT8_VALUE ? raw[i] & 0xff : raw[i];
      out[i] = (value - zero[c]) * scale[c];
    }
    return out;
  }

  /** @return the weights minus their mean over the classes (the map softmax sees) */
  static float[][] centred(float[][] w) {
    int channels = w[0].length;
    float[][] out = new float[w.length][channels];
    for (int k = 0; k < channels; k++) {
      double mean = 0;
      for (float[] row : w) {
        mean += row[k];
      }
      mean /= w.length;
      for (int c = 0; c < w.length; c++) {
        out[c][k] = (float) (w[c][k] - mean);
      }
    }
    return out;
  }

  private static long[] dims(TensorProto t) {
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  private static long attribute(NodeProto n, String name) {
    return attribute(n, name, 0);
  }

  private static long attribute(NodeProto n, String name, long absent) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getI();
      }
    }
    return absent;
  }
}
