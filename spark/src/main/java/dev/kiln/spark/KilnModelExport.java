package dev.kiln.spark;

import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.StringStringEntryProto;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.image.Preprocessing;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    OnnxGraph g = new OnnxGraph();
    g.graph.setName("kiln");
    g.graph.addInput(OnnxGraph.floatValue("input", -1, 3, spec.height(), spec.width()));
    String x = spec.isRaw() ? "input" : g.normalization("input", spec.multipliers(),
        spec.offsets(), spec.channels() == Preprocessing.ChannelOrder.BGR);
    String userFeatures = g.addAncestors(user.getGraph(), features, "backbone/",
        user.getGraph().getInput(0).getName(), x);
    g.node("Gemm", "head/gemm", "head/logits", userFeatures,
        g.initializer("head/W", new long[] {classes, width}, w),
        g.initializer("head/b", new long[] {classes}, b))
        .addAttribute(OnnxGraph.integer("transB", 1));
    g.node("Softmax", "head/softmax", "probabilities", "head/logits")
        .addAttribute(OnnxGraph.integer("axis", 1));
    g.graph.addOutput(OnnxGraph.floatValue("probabilities", -1, classes));

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
        .setGraph(g.graph);
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
}
