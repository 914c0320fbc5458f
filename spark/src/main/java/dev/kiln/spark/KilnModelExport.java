package dev.kiln.spark;

import com.google.protobuf.ByteString;
import dev.kiln.onnx.OnnxProto.AttributeProto;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.StringStringEntryProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import dev.kiln.onnx.OnnxProto.TensorShapeProto;
import dev.kiln.onnx.OnnxProto.TypeProto;
import dev.kiln.onnx.OnnxProto.ValueInfoProto;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.Vector;

/**
 * Writes a {@link KilnFeaturizer}'s backbone and a Spark MLlib {@link LogisticRegressionModel}
 * trained on its features as one Kiln model (the contract of {@code docs/model-format.md}): the
 * backbone's nodes up to the features, unchanged, with the featurizer's normalisation in front
 * (so the model takes raw RGB, as every Kiln model), then {@code Gemm} with MLlib's coefficients
 * and intercepts and {@code Softmax}; labels and preprocessing in the metadata. Its
 * probabilities are MLlib's own: compare them with {@code probability} on the training photos.
 */
public final class KilnModelExport {

  private KilnModelExport() {}

  /**
   * @param featurizer the featurizer the head was trained on
   * @param head the trained logistic regression (multinomial; a binomial one is written as its
   *     two-class softmax)
   * @param labels the label of each class index (e.g. a {@code StringIndexerModel}'s labels)
   * @param training facts for the {@code kiln.training.*} metadata (e.g. photos, regParam)
   * @return the Kiln model's bytes
   */
  public static byte[] export(KilnFeaturizer featurizer, LogisticRegressionModel head,
      List<String> labels, Map<String, String> training) {
    int classes = head.numClasses();
    if (labels.size() != classes) {
      throw new IllegalArgumentException("the head has " + classes + " classes but "
          + labels.size() + " labels were given: " + labels);
    }
    ModelProto user = OnnxModels.parse(featurizer.model());
    String features = featurizer.getOrDefault(featurizer.featuresOutput());
    Preprocessing spec = featurizer.spec();
    int width = head.numFeatures();
    float[] w = new float[classes * width];
    float[] b = new float[classes];
    Matrix m = head.coefficientMatrix();
    Vector intercept = head.interceptVector();
    if (m.numRows() == classes) {
      for (int k = 0; k < classes; k++) {
        for (int j = 0; j < width; j++) {
          w[k * width + j] = (float) m.apply(k, j);
        }
        b[k] = (float) intercept.apply(k);
      }
    } else { // binomial: logits (0, w·x + b) give the same probabilities as the sigmoid
      for (int j = 0; j < width; j++) {
        w[width + j] = (float) m.apply(0, j);
      }
      b[1] = (float) intercept.apply(0);
    }

    GraphProto.Builder g = GraphProto.newBuilder().setName("kiln");
    String userInput = user.getGraph().getInput(0).getName();
    g.addInput(value("input", -1, 3, spec.height(), spec.width()));
    String x = normalization(g, spec);
    java.util.function.UnaryOperator<String> rename = t -> t.isEmpty() ? t
        : t.equals(userInput) ? x : "backbone/" + t;
    Set<String> needed = needed(user.getGraph(), features);
    Set<String> read = new HashSet<>();
    for (NodeProto n : user.getGraph().getNodeList()) {
      if (n.getOutputList().stream().noneMatch(needed::contains)) {
        continue;
      }
      NodeProto.Builder nb = n.toBuilder().setName("backbone/" + n.getName());
      for (int i = 0; i < nb.getInputCount(); i++) {
        read.add(nb.getInput(i));
        nb.setInput(i, rename.apply(nb.getInput(i)));
      }
      for (int i = 0; i < nb.getOutputCount(); i++) {
        nb.setOutput(i, rename.apply(nb.getOutput(i)));
      }
      g.addNode(nb);
    }
    for (TensorProto t : user.getGraph().getInitializerList()) {
      if (read.contains(t.getName())) {
        g.addInitializer(t.toBuilder().setName("backbone/" + t.getName()));
      }
    }
    g.addInitializer(floats("head/W", new long[] {classes, width}, w));
    g.addInitializer(floats("head/b", new long[] {classes}, b));
    g.addNode(node("Gemm", "head/gemm", "head/logits", "backbone/" + features, "head/W",
        "head/b").addAttribute(integer("transB", 1)));
    g.addNode(node("Softmax", "head/softmax", "probabilities", "head/logits")
        .addAttribute(integer("axis", 1)));
    g.addOutput(value("probabilities", -1, classes));

    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("trainer", "spark-mllib LogisticRegression (" + (m.numRows() == classes
        ? "multinomial" : "binomial") + ", regParam " + head.getRegParam() + ", elasticNetParam "
        + head.getElasticNetParam() + ")");
    facts.put("backbone", "featurizer sha256 " + featurizer.modelSha256() + ", features "
        + features);
    facts.putAll(training);
    ModelMetadata metadata = new ModelMetadata(ModelMetadata.FORMAT_VERSION, labels,
        Preprocessing.raw(spec.width(), spec.resize()), ModelMetadata.Output.PROBABILITIES,
        facts);
    ModelProto.Builder out = ModelProto.newBuilder()
        .setIrVersion(Math.max(8, user.getIrVersion()))
        .addAllOpsetImport(user.getOpsetImportList())
        .setProducerName("kiln-spark")
        .setGraph(g);
    metadata.toProperties().forEach((k, v) ->
        out.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return out.build().toByteArray();
  }

  /**
   * Proves an exported model on the cluster: every row's photo is classified by the model (on the
   * executors) and compared with MLlib's {@code probability} vector for it.
   *
   * @param model the exported Kiln model
   * @param predictions MLlib's output: the photos' bytes and their probability vectors
   * @param imageCol the column of encoded photo bytes (e.g. {@code content})
   * @param probabilityCol MLlib's probability column (e.g. {@code probability})
   * @return the largest absolute difference over all rows and classes (≤ 1e-4 expected)
   */
  public static double maxDifference(byte[] model, org.apache.spark.sql.Dataset<
      org.apache.spark.sql.Row> predictions, String imageCol, String probabilityCol) {
    String sha = ImageTransformer.sha256(model);
    org.apache.spark.broadcast.Broadcast<byte[]> bytes = org.apache.spark.api.java
        .JavaSparkContext.fromSparkContext(predictions.sparkSession().sparkContext())
        .broadcast(model);
    return predictions.select(imageCol, probabilityCol).javaRDD().mapPartitions(rows -> {
      dev.kiln.runtime.ImageClassifier c = ExecutorModels.classifier(sha, bytes::value);
      double max = 0;
      while (rows.hasNext()) {
        org.apache.spark.sql.Row r = rows.next();
        float[] p = c.classify((byte[]) r.get(0)).scores();
        Vector v = (Vector) r.get(1);
        for (int k = 0; k < p.length; k++) {
          max = Math.max(max, Math.abs(p[k] - v.apply(k)));
        }
      }
      return List.of(max).iterator();
    }).fold(0.0, Math::max);
  }

  /** {@code (x·scale − mean)/std} per channel (and BGR reordering), as Mul and Add. */
  private static String normalization(GraphProto.Builder g, Preprocessing p) {
    float[] a = new float[3];
    float[] c = new float[3];
    for (int i = 0; i < 3; i++) {
      a[i] = p.scale() / p.std()[i];
      c[i] = -p.mean()[i] / p.std()[i];
    }
    String x = "input";
    if (p.channels() == Preprocessing.ChannelOrder.BGR) {
      TensorProto.Builder order = TensorProto.newBuilder().setName("normalize/bgr_order")
          .setDataType(TensorProto.DataType.INT64_VALUE).addDims(3).addInt64Data(2)
          .addInt64Data(1).addInt64Data(0);
      g.addInitializer(order);
      g.addNode(node("Gather", "normalize/bgr", "normalize/bgr", x, "normalize/bgr_order")
          .addAttribute(integer("axis", 1)));
      x = "normalize/bgr";
    }
    g.addInitializer(floats("normalize/scale", new long[] {1, 3, 1, 1}, a));
    g.addInitializer(floats("normalize/shift", new long[] {1, 3, 1, 1}, c));
    g.addNode(node("Mul", "normalize/mul", "normalize/scaled", x, "normalize/scale"));
    g.addNode(node("Add", "normalize/add", "normalized", "normalize/scaled", "normalize/shift"));
    return "normalized";
  }

  private static Set<String> needed(GraphProto g, String tensor) {
    Map<String, NodeProto> producer = new HashMap<>();
    g.getNodeList().forEach(n -> n.getOutputList().forEach(o -> producer.put(o, n)));
    if (!producer.containsKey(tensor)) {
      throw new IllegalArgumentException("the featurizer's model has no node output '" + tensor
          + "'");
    }
    Set<String> out = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(tensor));
    while (!todo.isEmpty()) {
      String t = todo.pop();
      NodeProto p = producer.get(t);
      if (p == null || !out.addAll(p.getOutputList())) {
        continue;
      }
      p.getInputList().stream().filter(i -> !i.isEmpty()).forEach(todo::push);
    }
    return out;
  }

  private static NodeProto.Builder node(String op, String name, String output,
      String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
    for (String i : inputs) {
      n.addInput(i);
    }
    return n;
  }

  private static AttributeProto integer(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(v).build();
  }

  private static TensorProto floats(String name, long[] dims, float[] v) {
    ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(v);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(buf.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static ValueInfoProto value(String name, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(d > 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(d)
          : TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
  }
}
