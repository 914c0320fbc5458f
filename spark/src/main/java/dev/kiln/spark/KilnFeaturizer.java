package dev.kiln.spark;

import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Adds a frozen backbone's pooled features as an ML {@code Vector} column, for Spark MLlib to
 * train the head ({@code LogisticRegression}) on millions of photos; {@link KilnModelExport} then
 * writes backbone and head as a Kiln model. The backbone is an ONNX model whose output is the
 * feature vector ({@code featuresOutput}; default its first output) — what the Maven plugin's
 * {@code kiln:featurizer} goal writes from the project's backbone settings (the same frozen part,
 * cut and preprocessing as its training), or a PyTorch export. The photos are fitted and
 * normalised by the runtime's one preprocessing implementation, as the spec says: the model's
 * {@code kiln.preprocessing} metadata, or {@code preprocessing}.
 */
public final class KilnFeaturizer extends ImageTransformer {

  private static final long serialVersionUID = 1L;

  private final transient ModelProto graph;
  private final Param<String> outputCol;
  private final Param<String> featuresOutput;
  private final Param<String> preprocessing;

  /**
   * @param uid the stage's id
   * @param model the backbone's bytes (ONNX, one image input)
   */
  public KilnFeaturizer(String uid, byte[] model) {
    super(uid, model);
    this.graph = OnnxModels.parse(model);
    outputCol = new Param<>(this, "outputCol", "the features column (an ML Vector)");
    featuresOutput = new Param<>(this, "featuresOutput", "the model output holding the"
        + " features, [N, F]");
    preprocessing = new Param<>(this, "preprocessing", "how photos become the model's input"
        + " (the Kiln model contract's spec, e.g. size=224x224;resize=center-crop;mean=127.5,"
        + "127.5,127.5;std=127.5,127.5,127.5); default: the model's kiln.preprocessing");
    setDefault(outputCol, "features");
    setDefault(featuresOutput, graph.getGraph().getOutput(0).getName());
    String own = OnnxModels.properties(graph).get(ModelMetadata.KEY_PREPROCESSING);
    if (own != null) {
      setDefault(preprocessing, own);
    }
  }

  /** @return a featurizer of a backbone's bytes, with a fresh uid */
  public static KilnFeaturizer of(byte[] model) {
    return new KilnFeaturizer(Identifiable.randomUID("kilnFeaturizer"), model);
  }

  /** @return the features column (an ML {@code Vector}). Default {@code features}. */
  public Param<String> outputCol() {
    return outputCol;
  }

  /** @return the model output holding the features. Default: its first output. */
  public Param<String> featuresOutput() {
    return featuresOutput;
  }

  /** @return how photos become the model's input. Default: the model's {@code kiln.preprocessing}. */
  public Param<String> preprocessing() {
    return preprocessing;
  }

  /** @return this, for chaining */
  public KilnFeaturizer setFeaturesOutput(String v) {
    set(featuresOutput, v);
    return this;
  }

  /** @return this, for chaining */
  public KilnFeaturizer setPreprocessing(String v) {
    set(preprocessing, v);
    return this;
  }

  /** @return this, for chaining */
  public KilnFeaturizer setInputCol(String v) {
    set(inputCol(), v);
    return this;
  }

  @Override
  List<StructField> addedFields() {
    return List.of(DataTypes.createStructField(getOrDefault(outputCol),
        SQLDataTypes.VectorType(), true));
  }

  @Override
  Preprocessing spec() {
    if (!isDefined(preprocessing)) {
      throw new IllegalArgumentException("the featurizer's model carries no kiln.preprocessing:"
          + " set preprocessing, e.g. size=224x224;resize=center-crop;mean=127.5,127.5,127.5;"
          + "std=127.5,127.5,127.5");
    }
    return Preprocessing.parse(getOrDefault(preprocessing), Preprocessing.Resize.CENTER_CROP);
  }

  @Override
  BatchFunction batchFunction(String sha256, Broadcast<byte[]> bytes) {
    String output = getOrDefault(featuresOutput);
    String specText = spec().toSpec();
    return decoded -> {
      Preprocessing spec = Preprocessing.parse(specText);
      List<BufferedImage> fitted = new ArrayList<>(decoded.size());
      for (BufferedImage d : decoded) {
        fitted.add(Preprocessor.fit(d, spec));
      }
      float[][] rows = ExecutorModels.features(sha256, bytes::value, output, spec).run(fitted);
      List<Object[]> out = new ArrayList<>(rows.length);
      for (float[] row : rows) {
        double[] v = new double[row.length];
        for (int i = 0; i < row.length; i++) {
          v[i] = row[i];
        }
        out.add(new Object[] {new DenseVector(v)});
      }
      return out;
    };
  }

  @Override
  public KilnFeaturizer copy(ParamMap extra) {
    return copyValues(new KilnFeaturizer(uid(), model()), extra);
  }

  /** @return the reader of saved featurizers (Spark ML's convention) */
  public static MLReader<KilnFeaturizer> read() {
    return new MLReader<>() {
      @Override
      public KilnFeaturizer load(String path) {
        return ImageTransformer.load(sparkSession(), path, KilnFeaturizer.class,
            KilnFeaturizer::new);
      }
    };
  }

  /** @return the featurizer saved at {@code path} */
  public static KilnFeaturizer load(String path) {
    return read().load(path);
  }
}
