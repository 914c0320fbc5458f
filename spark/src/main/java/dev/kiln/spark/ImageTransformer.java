package dev.kiln.spark;

import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.ImageDecoder;
import dev.kiln.runtime.image.Preprocessing;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

/**
 * What {@link KilnClassifier} and {@link KilnFeaturizer} share: an image column (encoded bytes,
 * as {@code spark.read.format("binaryFile")} gives them, or file paths any Hadoop file system
 * reads), the model's bytes (broadcast to the executors and loaded once per executor JVM), rows
 * handled in batches inside each partition, an {@code error} column for photos that cannot be
 * read (the runtime's reason and message; the job goes on), and save/load: the parameters as
 * Spark ML metadata, the model beside them as {@code model.onnx}.
 */
public abstract class ImageTransformer extends Transformer implements MLWritable {

  private static final long serialVersionUID = 1L;

  private final String uid;
  private final byte[] model;
  private final String sha256;
  private final Param<String> inputCol;
  private final Param<String> errorCol;
  private final IntParam batchSize;

  protected ImageTransformer(String uid, byte[] model) {
    this.uid = uid;
    this.model = model.clone();
    this.sha256 = sha256(model);
    inputCol = new Param<>(this, "inputCol", "the image column: encoded bytes (binary) or a file"
        + " path (string)");
    errorCol = new Param<>(this, "errorCol", "the column that gets the reason a photo could not"
        + " be read (null when it was)");
    batchSize = new IntParam(this, "batchSize", "images per ONNX Runtime run inside a partition",
        ParamValidators.gtEq(1));
    setDefault(inputCol, "content");
    setDefault(errorCol, "error");
    setDefault(batchSize, (Object) 32);
  }

  @Override
  public String uid() {
    return uid;
  }

  /** @return the image column: bytes or a path. Default {@code content}. */
  public Param<String> inputCol() {
    return inputCol;
  }

  /** @return the column of reasons for unreadable photos. Default {@code error}. */
  public Param<String> errorCol() {
    return errorCol;
  }

  /** @return images per ONNX Runtime run. Default 32. */
  public IntParam batchSize() {
    return batchSize;
  }

  /** @return the model's bytes */
  public byte[] model() {
    return model.clone();
  }

  /** @return the model's SHA-256 */
  public String modelSha256() {
    return sha256;
  }

  /** @return the columns this transformer adds (after the input's) */
  abstract List<StructField> addedFields();

  /** @return what turns a decoded photo into the model's input */
  abstract Preprocessing spec();

  /**
   * The executor side: one batch of decoded photos (EXIF orientation applied, not yet fitted to
   * the input) to their added column values (without the error column).
   */
  interface BatchFunction extends java.io.Serializable {
    List<Object[]> apply(List<BufferedImage> decoded) throws KilnException;
  }

  /** @return the batch function, run on the executors ({@code bytes} are the model's) */
  abstract BatchFunction batchFunction(String sha256, Broadcast<byte[]> bytes);

  @Override
  public StructType transformSchema(StructType schema) {
    String col = getOrDefault(inputCol);
    if (!java.util.Arrays.asList(schema.fieldNames()).contains(col)) {
      throw new IllegalArgumentException("no image column '" + col + "'; the columns are "
          + java.util.Arrays.toString(schema.fieldNames()) + " (set inputCol)");
    }
    DataType type = schema.apply(col).dataType();
    if (!type.equals(DataTypes.BinaryType) && !type.equals(DataTypes.StringType)) {
      throw new IllegalArgumentException("image column '" + col + "' is " + type.simpleString()
          + "; it must hold encoded bytes (binary, as binaryFile reads them) or paths (string)");
    }
    StructType out = schema;
    for (StructField f : addedFields()) {
      out = out.add(f);
    }
    return out.add(getOrDefault(errorCol), DataTypes.StringType, true);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType schema = transformSchema(dataset.schema());
    SparkSession spark = dataset.sparkSession();
    Broadcast<byte[]> bytes = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .broadcast(model);
    int column = dataset.schema().fieldIndex(getOrDefault(inputCol));
    boolean paths = dataset.schema().apply(column).dataType().equals(DataTypes.StringType);
    int pathColumn = java.util.Arrays.asList(dataset.schema().fieldNames()).indexOf("path");
    SerializableConfiguration hadoop = new SerializableConfiguration(
        spark.sparkContext().hadoopConfiguration());
    int batch = (Integer) getOrDefault(batchSize);
    int added = addedFields().size();
    String specText = spec().toSpec();
    BatchFunction function = batchFunction(sha256, bytes);
    MapPartitionsFunction<Row, Row> partition = rows -> {
      Preprocessing spec = Preprocessing.parse(specText);
      return new BatchingIterator(rows, batch, row -> {
      String name = paths ? row.getString(column)
          : pathColumn >= 0 ? String.valueOf(row.get(pathColumn)) : "image bytes";
      byte[] image = paths ? read(row.getString(column), hadoop) : (byte[]) row.get(column);
      if (image == null) {
        throw new KilnException(KilnException.Reason.IMAGE_UNREADABLE, name + ": no image");
      }
      return ImageDecoder.decode(image, name, Math.min(spec.width(), spec.height()));
      }, function, added);
    };
    return dataset.toDF().mapPartitions(partition, Encoders.row(schema));
  }

  private static byte[] read(String path, SerializableConfiguration hadoop) throws KilnException {
    try {
      Path p = new Path(path);
      try (InputStream in = p.getFileSystem(hadoop.value()).open(p)) {
        return in.readAllBytes();
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new KilnException(KilnException.Reason.IMAGE_UNREADABLE, path + ": "
          + e.getMessage(), e);
    }
  }

  /** Decodes one row's photo. */
  interface Decoder extends java.io.Serializable {
    BufferedImage decode(Row row) throws KilnException;
  }

  /** Pulls up to {@code batch} rows, decodes them one by one, runs the batch, emits rows. */
  private static final class BatchingIterator implements Iterator<Row> {
    private final Iterator<Row> rows;
    private final int batch;
    private final Decoder decoder;
    private final BatchFunction function;
    private final int added;
    private final List<Row> ready = new ArrayList<>();
    private int next;

    BatchingIterator(Iterator<Row> rows, int batch, Decoder decoder, BatchFunction function,
        int added) {
      this.rows = rows;
      this.batch = batch;
      this.decoder = decoder;
      this.function = function;
      this.added = added;
    }

    @Override
    public boolean hasNext() {
      if (next < ready.size()) {
        return true;
      }
      ready.clear();
      next = 0;
      fill();
      return !ready.isEmpty();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.get(next++);
    }

    private void fill() {
      List<Row> in = new ArrayList<>();
      List<BufferedImage> fitted = new ArrayList<>();
      List<Integer> at = new ArrayList<>();
      String[] errors = new String[batch];
      while (in.size() < batch && rows.hasNext()) {
        Row r = rows.next();
        try {
          fitted.add(decoder.decode(r));
          at.add(in.size());
        } catch (KilnException e) {
          errors[in.size()] = e.reason() + ": " + e.getMessage();
        } catch (RuntimeException e) { // a decoder bug must not fail the job either
          errors[in.size()] = KilnException.Reason.IMAGE_CORRUPT + ": " + e;
        }
        in.add(r);
      }
      Object[][] values = new Object[in.size()][];
      if (!fitted.isEmpty()) {
        try {
          List<Object[]> out = function.apply(fitted);
          for (int i = 0; i < at.size(); i++) {
            values[at.get(i)] = out.get(i);
          }
        } catch (KilnException e) {
          for (int i : at) {
            errors[i] = e.reason() + ": " + e.getMessage();
          }
        }
      }
      for (int i = 0; i < in.size(); i++) {
        Row r = in.get(i);
        Object[] cells = new Object[r.length() + added + 1];
        for (int c = 0; c < r.length(); c++) {
          cells[c] = r.get(c);
        }
        if (values[i] != null) {
          System.arraycopy(values[i], 0, cells, r.length(), added);
        }
        cells[cells.length - 1] = errors[i];
        ready.add(RowFactory.create(cells));
      }
    }
  }

  // ---------------------------------------------------------------- save and load

  @Override
  public MLWriter write() {
    ImageTransformer self = this;
    return new MLWriter() {
      @Override
      public void saveImpl(String path) {
        DefaultParamsWriter.saveMetadata(self, path, sparkSession().sparkContext(),
            scala.Option.empty(), scala.Option.empty());
        Path file = new Path(path, "model.onnx");
        try {
          FileSystem fs = file.getFileSystem(sparkSession().sparkContext().hadoopConfiguration());
          try (FSDataOutputStream out = fs.create(file, true)) {
            out.write(model);
          }
        } catch (IOException e) {
          throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
        }
      }
    };
  }

  /** A constructor of a transformer from its uid and model bytes. */
  interface Factory<T extends ImageTransformer> {
    T create(String uid, byte[] model);
  }

  /** Loads what {@link #write()} saved: the metadata's uid and parameters, the model. */
  static <T extends ImageTransformer> T load(SparkSession spark, String path, Class<T> type,
      Factory<T> factory) {
    DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path,
        spark.sparkContext(), type.getName());
    Path file = new Path(path, "model.onnx");
    byte[] bytes;
    try (InputStream in = file.getFileSystem(spark.sparkContext().hadoopConfiguration())
        .open(file)) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
    T t = factory.create(metadata.uid(), bytes);
    metadata.getAndSetParams(t, scala.Option.empty());
    return t;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
