package dev.kiln.spark;

import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.Prediction;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Classifies an image column with a Kiln model, as a Spark ML {@code Transformer}: adds
 * {@code label} (the best label), {@code probability} (its probability), {@code topK} (the
 * {@code k} best, label and probability each) and {@code error} (why a photo could not be read,
 * else null: an unreadable photo never fails the job). Usable in a {@code Pipeline}, saved and
 * loaded with {@code write()}/{@link #load(String)}.
 *
 * <pre>{@code
 * Dataset<Row> photos = spark.read().format("binaryFile").load("s3://bucket/photos/");
 * KilnClassifier insects = KilnClassifier.of(Files.readAllBytes(Path.of("Insects.onnx")));
 * insects.transform(photos).select("path", "label", "probability", "error").show();
 * }</pre>
 */
public final class KilnClassifier extends ImageTransformer {

  private static final long serialVersionUID = 1L;

  private static final StructType PREDICTION = new StructType()
      .add("label", DataTypes.StringType, false)
      .add("probability", DataTypes.DoubleType, false);

  private final transient ModelMetadata metadata;
  private final Param<String> labelCol;
  private final Param<String> probabilityCol;
  private final Param<String> topKCol;
  private final IntParam k;

  /**
   * @param uid the stage's id
   * @param model a Kiln model's bytes
   * @throws IllegalArgumentException when they are not a Kiln model
   */
  public KilnClassifier(String uid, byte[] model) {
    super(uid, model);
    this.metadata = OnnxModels.kilnMetadata(model);
    labelCol = new Param<>(this, "labelCol", "the column of best labels");
    probabilityCol = new Param<>(this, "probabilityCol", "the column of the best label's"
        + " probability");
    topKCol = new Param<>(this, "topKCol", "the column of the k best labels with probabilities");
    k = new IntParam(this, "k", "how many labels topK holds", ParamValidators.gtEq(1));
    setDefault(labelCol, "label");
    setDefault(probabilityCol, "probability");
    setDefault(topKCol, "topK");
    setDefault(k, (Object) 3);
  }

  /** @return a classifier of a Kiln model's bytes, with a fresh uid */
  public static KilnClassifier of(byte[] model) {
    return new KilnClassifier(Identifiable.randomUID("kilnClassifier"), model);
  }

  /** @return a classifier of a Kiln model file (local), with a fresh uid */
  public static KilnClassifier of(java.nio.file.Path model) throws java.io.IOException {
    return of(Files.readAllBytes(model));
  }

  /** @return the model's labels */
  public List<String> labels() {
    return metadata.labels();
  }

  /** @return the column of best labels. Default {@code label}. */
  public Param<String> labelCol() {
    return labelCol;
  }

  /** @return the column of the best label's probability. Default {@code probability}. */
  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  /** @return the column of the {@code k} best labels with probabilities. Default {@code topK}. */
  public Param<String> topKCol() {
    return topKCol;
  }

  /** @return how many labels {@code topK} holds. Default 3. */
  public IntParam k() {
    return k;
  }

  /** @return this, for chaining: the image column */
  public KilnClassifier setInputCol(String v) {
    set(inputCol(), v);
    return this;
  }

  /** @return this, for chaining: how many labels {@code topK} holds */
  public KilnClassifier setK(int v) {
    set(k, (Object) v);
    return this;
  }

  @Override
  List<StructField> addedFields() {
    return List.of(
        DataTypes.createStructField(getOrDefault(labelCol), DataTypes.StringType, true),
        DataTypes.createStructField(getOrDefault(probabilityCol), DataTypes.DoubleType, true),
        DataTypes.createStructField(getOrDefault(topKCol),
            DataTypes.createArrayType(PREDICTION, false), true));
  }

  @Override
  Preprocessing spec() {
    return metadata.preprocessing();
  }

  @Override
  BatchFunction batchFunction(String sha256, Broadcast<byte[]> bytes) {
    int top = (Integer) getOrDefault(k);
    return decoded -> {
      ImageClassifier c = ExecutorModels.classifier(sha256, bytes::value);
      List<Object[]> out = new ArrayList<>();
      for (Classification cl : c.classifyImages(decoded)) {
        List<Row> best = new ArrayList<>();
        for (Prediction p : cl.topK(top)) {
          best.add(RowFactory.create(p.label(), (double) p.probability()));
        }
        out.add(new Object[] {cl.best().label(), (double) cl.best().probability(),
            best.toArray(new Row[0])}); // an array: no Scala collection (2.12 and 2.13 differ)
      }
      return out;
    };
  }

  @Override
  public KilnClassifier copy(ParamMap extra) {
    return copyValues(new KilnClassifier(uid(), model()), extra);
  }

  /** @return the reader of saved classifiers (Spark ML's convention) */
  public static MLReader<KilnClassifier> read() {
    return new MLReader<>() {
      @Override
      public KilnClassifier load(String path) {
        return ImageTransformer.load(sparkSession(), path, KilnClassifier.class,
            KilnClassifier::new);
      }
    };
  }

  /** @return the classifier saved at {@code path} */
  public static KilnClassifier load(String path) {
    return read().load(path);
  }
}
