package dev.kiln.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.regexp_extract;

import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.ImageClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kiln on Spark in local mode ({@code local[2]}), no network, on the hymenoptera photos: the
 * MobileNetV2 α0.5 PyTorch export (real ImageNet weights; its {@code pooled} output) as the
 * featurizer, MLlib's multinomial logistic regression as the head, the export as a Kiln model
 * checked against MLlib's own probabilities, and batch classification equal to the plain
 * runtime's, unreadable photos becoming error rows.
 */
class SparkPipelineTest {

  static final String PREPROCESSING = "size=224x224;resize=center-crop;"
      + "mean=127.5,127.5,127.5;std=127.5,127.5,127.5";

  static SparkSession spark;
  static KilnFeaturizer featurizer;
  static Dataset<Row> trainFeatures;
  static Dataset<Row> valFeatures;
  static LogisticRegressionModel head;
  static List<String> labels;
  static byte[] kilnModel;
  static double mllibValAccuracy;

  static Path torch() {
    return Fixtures.root().resolve(
        "onnx/torch/mobilenet_v2_0.5_224_torch/mobilenet_v2_0.5_224_torch.onnx");
  }

  /** @return the local file of a {@code binaryFile} path (which is not URI-encoded) */
  static Path local(String path) {
    return Path.of(new org.apache.hadoop.fs.Path(path).toUri());
  }

  static Dataset<Row> photos(String side) {
    return spark.read().format("binaryFile").option("pathGlobFilter", "*.{jpg,jpeg,png,gif,bmp}")
        .option("recursiveFileLookup", "true")
        .load(Fixtures.hymenoptera().resolve(side).toString())
        .withColumn("species", regexp_extract(col("path"), "/(ants|bees)/", 1));
  }

  @BeforeAll
  static void trainOnSpark() throws Exception {
    spark = SparkSession.builder().master("local[2]").appName("kiln-spark-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
    try {
      prepare();
    } catch (Throwable t) {
      t.printStackTrace(System.out);
      throw t;
    }
  }

  static void prepare() throws Exception {
    featurizer = KilnFeaturizer.of(Files.readAllBytes(torch())).setFeaturesOutput("pooled")
        .setPreprocessing(PREPROCESSING);
    StringIndexerModel indexer = new StringIndexer().setInputCol("species")
        .setOutputCol("labelIndex").setStringOrderType("alphabetAsc").fit(photos("train"));
    labels = Arrays.asList(indexer.labelsArray()[0]);
    trainFeatures = indexer.transform(featurizer.transform(photos("train"))).cache();
    valFeatures = indexer.transform(featurizer.transform(photos("val"))).cache();
    head = new LogisticRegression().setFamily("multinomial").setRegParam(0.01)
        .setElasticNetParam(0).setMaxIter(200).setLabelCol("labelIndex")
        .setFeaturesCol("features").fit(trainFeatures);
    mllibValAccuracy = new MulticlassClassificationEvaluator().setLabelCol("labelIndex")
        .setMetricName("accuracy").evaluate(head.transform(valFeatures));
    kilnModel = KilnModelExport.export(featurizer, head, labels,
        Map.of("images", trainFeatures.count() + " train photos"));
    // the IT spark-model bundles this model into an application (kiln:generate <model>)
    Path out = Path.of(System.getProperty("kiln.spark.out", "target/spark-trained"));
    Files.createDirectories(out);
    Files.write(out.resolve("insects.onnx"), kilnModel);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void theExportedModelComputesMllibsProbabilities() throws Exception {
    List<Row> rows = head.transform(trainFeatures).select("path", "probability").collectAsList();
    assertEquals(245, rows.size()); // train/: 124 ants, 121 bees
    double max = 0;
    try (ImageClassifier kiln = ImageClassifier.load(kilnModel, "spark export",
        ClassifierOptions.defaults())) {
      assertEquals(List.of("ants", "bees"), kiln.metadata().labels());
      for (Row r : rows) {
        Classification c = kiln.classify(local(r.getString(0)));
        Vector mllib = (Vector) r.get(1);
        for (int k = 0; k < labels.size(); k++) {
          max = Math.max(max, Math.abs(c.scores()[k] - mllib.apply(k)));
        }
      }
    }
    System.out.printf("export vs MLlib on the 245 training photos: max abs diff %.2e;"
        + " MLlib val accuracy %.4f%n", max, mllibValAccuracy);
    assertTrue(max <= 1e-4, "max abs diff " + max);
    // the same proof on the executors, as a cluster job would run it
    double onSpark = KilnModelExport.maxDifference(kilnModel, head.transform(trainFeatures),
        "content", "probability");
    assertEquals(max, onSpark, 1e-9);
  }

  @Test
  void theExecutorsSessionsAreClosedWhenTheJvmEnds() throws Exception {
    // what the executor JVM's shutdown hook runs: every session it loaded is closed
    // (and, with -Dkiln.spark.sessionLog, appends both events to that file: ClusterIT reads it)
    String sha = KilnClassifier.of(kilnModel).modelSha256();
    Path log = Files.createTempFile("kiln-sessions", ".log");
    ExecutorModels.closeAll(); // what the other tests loaded
    System.setProperty(SessionLog.PROPERTY, log.toString());
    ImageClassifier loaded;
    try {
      loaded = ExecutorModels.classifier(sha, () -> kilnModel);
      assertNotNull(loaded.metadata());
      ExecutorModels.closeAll();
    } finally {
      System.clearProperty(SessionLog.PROPERTY);
    }
    String pid = " pid=" + ProcessHandle.current().pid();
    assertEquals(List.of("opened classifier:" + sha + pid, "closed classifier:" + sha + pid),
        Files.readAllLines(log));
    Files.delete(log);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        loaded::metadata);
    // a later task of the same JVM loads the model again
    assertNotNull(ExecutorModels.classifier(sha, () -> kilnModel).metadata());
  }

  @Test
  void batchClassificationEqualsThePlainRuntimeAndMllibsAccuracy() throws Exception {
    KilnClassifier classifier = KilnClassifier.of(kilnModel).setK(2);
    List<Row> out = classifier.transform(photos("val")).select("path", "species", "label",
        "probability", "topK", "error").collectAsList();
    assertEquals(73, out.size());
    int right = 0;
    try (ImageClassifier plain = ImageClassifier.load(kilnModel, "plain",
        ClassifierOptions.defaults())) {
      for (Row r : out) {
        assertNull(r.get(5), r.getString(0));
        Classification c = plain.classify(Files.readAllBytes(
            local(r.getString(0))));
        assertEquals(c.best().label(), r.getString(2), r.getString(0));
        assertEquals(c.best().probability(), r.getDouble(3), 1e-6, r.getString(0));
        assertEquals(2, r.getList(4).size());
        right += r.getString(1).equals(r.getString(2)) ? 1 : 0;
      }
    }
    assertEquals(mllibValAccuracy, right / 73.0, 1e-9, "the model's val accuracy");
  }

  @Test
  void anUnreadablePhotoIsAnErrorRowNotAFailedJob(@TempDir Path dir) throws Exception {
    List<Path> ants = Files.list(Fixtures.hymenoptera().resolve("val/ants")).sorted().limit(3)
        .toList();
    for (Path p : ants) {
      Files.copy(p, dir.resolve(p.getFileName()));
    }
    byte[] good = Files.readAllBytes(ants.get(0));
    Files.write(dir.resolve("truncated.jpg"), Arrays.copyOf(good, 600));
    Files.write(dir.resolve("not-an-image.jpg"), "hello".getBytes());
    Dataset<Row> in = spark.read().format("binaryFile").load(dir.toString());
    Map<String, Row> byName = new HashMap<>();
    for (Row r : KilnClassifier.of(kilnModel).transform(in).collectAsList()) {
      String path = r.getString(r.fieldIndex("path"));
      byName.put(path.substring(path.lastIndexOf('/') + 1), r);
    }
    assertEquals(5, byName.size());
    for (Path p : ants) {
      Row r = byName.get(p.getFileName().toString());
      assertNull(r.get(r.fieldIndex("error")));
      assertNotNull(r.getString(r.fieldIndex("label")));
    }
    for (String bad : List.of("truncated.jpg", "not-an-image.jpg")) {
      Row r = byName.get(bad);
      String error = r.getString(r.fieldIndex("error"));
      assertNotNull(error, bad);
      assertTrue(error.startsWith("IMAGE_"), error);
      assertNull(r.get(r.fieldIndex("label")));
    }
  }

  @Test
  void pathsWorkAsWellAsBytes() {
    Dataset<Row> eight = photos("val").orderBy("path").limit(8).cache();
    List<Row> byBytes = KilnClassifier.of(kilnModel).transform(eight)
        .select("path", "label", "probability").orderBy("path").collectAsList();
    List<Row> byPath = KilnClassifier.of(kilnModel).setInputCol("path")
        .transform(eight.select("path")).select("path", "label", "probability").orderBy("path")
        .collectAsList();
    assertEquals(8, byPath.size());
    assertEquals(byBytes, byPath);
  }

  /** MLlib's CrossValidator chooses the strength; its best model exports the same way. */
  @Test
  void aCrossValidatedHeadExports() throws Exception {
    LogisticRegression lr = new LogisticRegression().setFamily("multinomial").setMaxIter(100)
        .setLabelCol("labelIndex").setFeaturesCol("features");
    org.apache.spark.ml.param.ParamMap[] grid = new org.apache.spark.ml.tuning.ParamGridBuilder()
        .addGrid(lr.regParam(), new double[] {0.001, 0.1}).build();
    org.apache.spark.ml.tuning.CrossValidatorModel cv = new org.apache.spark.ml.tuning
        .CrossValidator().setEstimator(lr).setEstimatorParamMaps(grid).setNumFolds(3)
        .setSeed(42).setEvaluator(new MulticlassClassificationEvaluator()
            .setLabelCol("labelIndex").setMetricName("accuracy")).fit(trainFeatures);
    LogisticRegressionModel best = (LogisticRegressionModel) cv.bestModel();
    byte[] model = KilnModelExport.export(featurizer, best, labels, Map.of());
    Row first = best.transform(trainFeatures).select("path", "probability").first();
    try (ImageClassifier kiln = ImageClassifier.load(model, "cv", ClassifierOptions.defaults())) {
      float[] p = kiln.classify(local(first.getString(0))).scores();
      assertEquals(((Vector) first.get(1)).apply(0), p[0], 1e-4);
      assertTrue(kiln.metadata().training().get("trainer").contains("regParam "
          + best.getRegParam()));
    }
  }

  /** A featurizer written by kiln:featurizer carries its preprocessing; none is set here. */
  @Test
  void theFeaturizerTakesItsPreprocessingFromTheModel() throws Exception {
    var m = OnnxModels.parse(Files.readAllBytes(torch())).toBuilder();
    m.addMetadataProps(dev.kiln.onnx.OnnxProto.StringStringEntryProto.newBuilder()
        .setKey("kiln.preprocessing").setValue(PREPROCESSING));
    KilnFeaturizer own = KilnFeaturizer.of(m.build().toByteArray()).setFeaturesOutput("pooled");
    Dataset<Row> four = photos("val").orderBy("path").limit(4).cache();
    assertEquals(featurizer.transform(four).select("features").collectAsList(),
        own.transform(four).select("features").collectAsList());
  }

  @Test
  void bothTransformersSaveAndLoadAlsoInAPipeline(@TempDir Path dir) throws Exception {
    KilnClassifier classifier = KilnClassifier.of(kilnModel).setK(1);
    classifier.write().overwrite().save(dir.resolve("classifier").toString());
    KilnClassifier loaded = KilnClassifier.load(dir.resolve("classifier").toString());
    assertEquals(classifier.uid(), loaded.uid());
    assertEquals(1, (Integer) loaded.getOrDefault(loaded.k()));
    assertArrayEquals(kilnModel, loaded.model());

    PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {featurizer})
        .fit(photos("val").limit(4));
    pipeline.write().overwrite().save(dir.resolve("pipeline").toString());
    PipelineModel back = PipelineModel.load(dir.resolve("pipeline").toString());
    KilnFeaturizer f = (KilnFeaturizer) back.stages()[0];
    assertEquals("pooled", f.getOrDefault(f.featuresOutput()));
    List<Row> a = pipeline.transform(photos("val").limit(4)).select("features").collectAsList();
    List<Row> b = back.transform(photos("val").limit(4)).select("features").collectAsList();
    assertEquals(a, b);
  }
}
