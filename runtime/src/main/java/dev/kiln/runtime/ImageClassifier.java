package dev.kiln.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.kiln.runtime.KilnException.Reason;
import dev.kiln.runtime.image.ImageDecoder;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import dev.kiln.runtime.internal.Sessions;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An image classifier backed by an ONNX model and ONNX Runtime.
 *
 * <pre>{@code
 * try (ImageClassifier c = ImageClassifier.load(Path.of("pets.onnx"))) {
 *   Classification r = c.classify(Path.of("cat.jpg"));
 *   System.out.println(r.best() + " " + r.topK(3));
 * }
 * }</pre>
 *
 * <p>Safe for concurrent callers: any number of threads may classify at once. After {@link
 * #close()}, every method throws {@link IllegalStateException}.
 */
public final class ImageClassifier implements AutoCloseable {

  private final OrtSession session;
  private final String name;
  private final ModelMetadata metadata;
  private final String inputName;
  private final boolean fixedBatchOfOne;
  private final Device device;
  private final ModelMetadata.Output output;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);
  private boolean closed;

  private ImageClassifier(OrtSession session, String name, ModelMetadata metadata, Device device,
      ModelMetadata.Output output) throws KilnException {
    this.session = session;
    this.name = name;
    this.metadata = metadata;
    this.device = device;
    this.output = output;
    try {
      Map.Entry<String, NodeInfo> input = session.getInputInfo().entrySet().iterator().next();
      this.inputName = input.getKey();
      long[] shape = ((TensorInfo) input.getValue().getInfo()).getShape();
      this.fixedBatchOfOne = shape.length > 0 && shape[0] == 1;
      checkShape(shape, metadata.preprocessing().shape(1));
      NodeInfo out = session.getOutputInfo().values().iterator().next();
      long[] outShape = ((TensorInfo) out.getInfo()).getShape();
      long classes = outShape[outShape.length - 1];
      if (classes > 0 && classes != metadata.labels().size()) {
        throw new KilnException(Reason.MODEL_INVALID, "model " + name + " outputs " + classes
            + " scores but " + metadata.labels().size() + " labels were given; pass one label per"
            + " output");
      }
    } catch (OrtException | RuntimeException e) { // ClassCastException, no input or output
      throw new KilnException(Reason.MODEL_INVALID,
          "model " + name + " is not an image classifier (one image tensor in, one score tensor"
              + " out): " + e.getMessage(), e);
    }
  }

  private void checkShape(long[] actual, long[] expected) throws KilnException {
    boolean ok = actual.length == 4;
    for (int i = 1; ok && i < 4; i++) {
      ok = actual[i] <= 0 || actual[i] == expected[i];
    }
    if (!ok) {
      throw new KilnException(Reason.MODEL_INVALID, "model " + name + " expects input shape "
          + java.util.Arrays.toString(actual) + " but the preprocessing ("
          + metadata.preprocessing() + ") produces " + java.util.Arrays.toString(expected)
          + "; fix the preprocessing size or layout");
    }
  }

  /**
   * Loads a model file with default options.
   *
   * @param model the {@code .onnx} file
   * @return the classifier
   * @throws KilnException when the file is missing or not a usable model
   */
  public static ImageClassifier load(Path model) throws KilnException {
    return load(model, ClassifierOptions.defaults());
  }

  /**
   * Loads a model file. A model whose weights are kept in a separate file (ONNX external
   * data) finds it in the model's folder.
   *
   * @param model the {@code .onnx} file
   * @param options device, and for third-party models labels and preprocessing
   * @return the classifier
   * @throws KilnException when the file is missing, not a usable model or the device is absent
   */
  public static ImageClassifier load(Path model, ClassifierOptions options) throws KilnException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(model);
    } catch (NoSuchFileException e) {
      throw new KilnException(Reason.MODEL_NOT_FOUND, "model file " + model + " does not exist");
    } catch (IOException e) {
      throw new KilnException(Reason.MODEL_NOT_FOUND,
          "cannot read model file " + model + ": " + e.getMessage(), e);
    }
    Path folder = model.toAbsolutePath().getParent();
    return open(Sessions.open(bytes, model.toString(), options, folder), model.toString(),
        options);
  }

  /**
   * Loads a model from the class path (how generated classes load their bundled model).
   *
   * @param resource resource name, e.g. {@code com/acme/PetClassifier.onnx}
   * @param loader the class loader to search
   * @param options load options
   * @return the classifier
   * @throws KilnException when the resource is missing or not a usable model
   */
  public static ImageClassifier loadResource(String resource, ClassLoader loader,
      ClassifierOptions options) throws KilnException {
    String path = resource.startsWith("/") ? resource.substring(1) : resource;
    try (InputStream in = loader.getResourceAsStream(path)) {
      if (in == null) {
        throw new KilnException(Reason.MODEL_NOT_FOUND, "model resource " + path
            + " is not on the class path; was the project built with the kiln plugin's train goal?");
      }
      return load(in.readAllBytes(), "classpath:" + path, options);
    } catch (IOException e) {
      throw new KilnException(Reason.MODEL_NOT_FOUND,
          "cannot read model resource " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Loads a model from its bytes. A model with external data (weights in a separate file)
   * finds it relative to the working directory; load it with {@link #load(Path,
   * ClassifierOptions)} to have it found in the model's folder.
   *
   * @param model ONNX model bytes
   * @param name how messages name the model
   * @param options load options
   * @return the classifier
   * @throws KilnException when the bytes are not a usable model or the device is absent
   */
  public static ImageClassifier load(byte[] model, String name, ClassifierOptions options)
      throws KilnException {
    return open(Sessions.open(model, name, options), name, options);
  }

  private static ImageClassifier open(Sessions.Opened opened, String name,
      ClassifierOptions options) throws KilnException {
    try {
      ModelMetadata metadata = metadata(opened.session(), name, options);
      ModelMetadata.Output output = options.output() != null ? options.output()
          : metadata.output();
      return new ImageClassifier(opened.session(), name, metadata, opened.device(), output);
    } catch (KilnException | RuntimeException e) {
      Sessions.closeQuietly(opened.session());
      throw e;
    } catch (OrtException e) {
      Sessions.closeQuietly(opened.session());
      throw new KilnException(Reason.MODEL_INVALID,
          "cannot read metadata of model " + name + ": " + e.getMessage(), e);
    }
  }

  private static ModelMetadata metadata(OrtSession session, String name, ClassifierOptions o)
      throws KilnException, OrtException {
    Map<String, String> props = session.getMetadata().getCustomMetadata();
    if (props.containsKey(ModelMetadata.KEY_FORMAT)) {
      ModelMetadata m = ModelMetadata.fromProperties(props, name);
      try {
        return new ModelMetadata(m.formatVersion(),
            o.labels() != null ? o.labels() : m.labels(),
            o.preprocessing() != null ? o.preprocessing() : m.preprocessing(),
            m.output(), m.training());
      } catch (IllegalArgumentException e) { // the options' labels (duplicates, none)
        throw new KilnException(Reason.INVALID_ARGUMENT, e.getMessage(), e);
      }
    }
    if (o.labels() == null || o.preprocessing() == null || o.output() == null) {
      throw new KilnException(Reason.MODEL_INVALID, "model " + name
          + " carries no Kiln metadata; for a third-party ONNX model state its labels,"
          + " preprocessing and output kind (valid: PROBABILITIES when the graph ends in a"
          + " softmax, LOGITS otherwise), e.g. ClassifierOptions.defaults().withLabels(...)"
          + ".withPreprocessing(Preprocessing.imagenet(224))"
          + ".withOutput(ModelMetadata.Output.LOGITS)");
    }
    try {
      return new ModelMetadata(ModelMetadata.FORMAT_VERSION, o.labels(), o.preprocessing(),
          o.output(), Map.of());
    } catch (IllegalArgumentException e) {
      throw new KilnException(Reason.INVALID_ARGUMENT, e.getMessage(), e);
    }
  }

  /** @return labels in output order */
  public List<String> labels() {
    ensureOpen();
    return metadata.labels();
  }

  /** @return the model contract (labels, preprocessing, training facts) */
  public ModelMetadata metadata() {
    ensureOpen();
    return metadata;
  }

  /** @return the device actually in use: {@link Device#CPU} or {@link Device#CUDA} */
  public Device device() {
    ensureOpen();
    return device;
  }

  /**
   * @param image an image file (JPEG, PNG, GIF, BMP, TIFF)
   * @return the classification
   * @throws KilnException when the image cannot be decoded or inference fails
   */
  public Classification classify(Path image) throws KilnException {
    ensureOpen();
    return classifyFitted(List.of(Preprocessor.load(image, metadata.preprocessing()))).get(0);
  }

  /**
   * @param image encoded image bytes
   * @return the classification
   * @throws KilnException when the image cannot be decoded or inference fails
   */
  public Classification classify(byte[] image) throws KilnException {
    ensureOpen();
    return classify(ImageDecoder.decode(image, "image bytes", minSide()));
  }

  /**
   * @param image an encoded image stream (read to its end, not closed)
   * @return the classification
   * @throws KilnException when the image cannot be decoded or inference fails
   */
  public Classification classify(InputStream image) throws KilnException {
    ensureOpen();
    return classify(ImageDecoder.decode(image, "image stream", minSide()));
  }

  /**
   * @param image a decoded image (any type; used as it is, no EXIF orientation)
   * @return the classification
   * @throws KilnException when inference fails
   */
  public Classification classify(BufferedImage image) throws KilnException {
    ensureOpen();
    return classifyFitted(List.of(Preprocessor.fit(image, metadata.preprocessing()))).get(0);
  }

  /**
   * Classifies several files in one batch.
   *
   * @param images image files
   * @return one classification per image, in order
   * @throws KilnException naming the first image that cannot be decoded
   */
  public List<Classification> classifyFiles(List<Path> images) throws KilnException {
    ensureOpen();
    List<BufferedImage> fitted = new ArrayList<>(images.size());
    for (Path p : images) {
      fitted.add(Preprocessor.load(p, metadata.preprocessing()));
    }
    return classifyFitted(fitted);
  }

  /**
   * Classifies several decoded images in one batch.
   *
   * @param images decoded images
   * @return one classification per image, in order
   * @throws KilnException when inference fails
   */
  public List<Classification> classifyImages(List<BufferedImage> images) throws KilnException {
    ensureOpen();
    List<BufferedImage> fitted = new ArrayList<>(images.size());
    for (BufferedImage i : images) {
      fitted.add(Preprocessor.fit(i, metadata.preprocessing()));
    }
    return classifyFitted(fitted);
  }

  static {
    dev.kiln.runtime.internal.Tensors.register(ImageClassifier::classifyTensor);
  }

  /** The tensor path of {@link dev.kiln.runtime.internal.Tensors#classify}. */
  private List<Classification> classifyTensor(float[] tensor, int count) throws KilnException {
    ensureOpen();
    int size = metadata.preprocessing().tensorSize();
    if (count < 1 || tensor.length < (long) size * count) {
      throw new KilnException(Reason.INVALID_ARGUMENT, "tensor holds " + tensor.length
          + " floats, " + count + " images need " + (long) size * count);
    }
    Buffers b = buffers.get();
    FloatBuffer buf = b.input(count * size);
    buf.put(0, tensor, 0, count * size);
    return run(buf, count);
  }

  private List<Classification> classifyFitted(List<BufferedImage> fitted) throws KilnException {
    Preprocessing spec = metadata.preprocessing();
    int size = spec.tensorSize();
    if (fitted.isEmpty()) {
      return List.of();
    }
    if (fixedBatchOfOne && fitted.size() > 1) {
      List<Classification> out = new ArrayList<>(fitted.size());
      for (BufferedImage f : fitted) {
        out.addAll(classifyFitted(List.of(f)));
      }
      return out;
    }
    Buffers b = buffers.get();
    FloatBuffer buf = b.input(fitted.size() * size);
    float[] scratch = b.scratch(size);
    for (int i = 0; i < fitted.size(); i++) {
      dev.kiln.runtime.internal.Tensors.write(fitted.get(i), spec, scratch, buf, i);
    }
    return run(buf, fitted.size());
  }

  private List<Classification> run(FloatBuffer input, int count) throws KilnException {
    lock.readLock().lock();
    try {
      ensureOpen();
      long[] shape = metadata.preprocessing().shape(count);
      try (OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), input, shape);
          OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
        OnnxTensor out = (OnnxTensor) result.get(0);
        FloatBuffer scores = out.getFloatBuffer();
        int classes = metadata.labels().size();
        if (scores.remaining() != (long) classes * count) {
          throw new KilnException(Reason.INFERENCE_FAILED, "model " + name + " returned "
              + scores.remaining() + " scores for " + count + " images and " + classes + " labels");
        }
        List<Classification> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          float[] row = new float[classes];
          scores.get(row);
          list.add(new Classification(metadata.labels(), checked(probabilities(row), i, count)));
        }
        return Collections.unmodifiableList(list);
      }
    } catch (OrtException | ClassCastException e) {
      throw new KilnException(Reason.INFERENCE_FAILED,
          "running model " + name + " failed: " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The row, when each value is a probability ({@link Prediction}'s rule); otherwise fails. */
  private float[] checked(float[] row, int image, int count) throws KilnException {
    for (int j = 0; j < row.length; j++) {
      if (!(row[j] >= 0f && row[j] <= 1.0001f)) {
        throw new KilnException(Reason.INFERENCE_FAILED, "model " + name + " returned "
            + row[j] + " for label '" + metadata.labels().get(j) + "'"
            + (count > 1 ? " (image " + (image + 1) + " of " + count + ")" : "")
            + ", not a probability" + (Float.isNaN(row[j]) ? " (a NaN: the model's weights or"
                + " its input hold NaN or infinite values)" : "; if the model's output is raw"
                + " scores, load it with ClassifierOptions.withOutput(ModelMetadata.Output"
                + ".LOGITS)"));
      }
    }
    return row;
  }

  private float[] probabilities(float[] row) {
    return output == ModelMetadata.Output.PROBABILITIES ? row : softmax(row);
  }

  static float[] softmax(float[] logits) {
    float max = Float.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    float[] out = new float[logits.length];
    for (int i = 0; i < logits.length; i++) {
      double e = Math.exp(logits[i] - max);
      out[i] = (float) e;
      sum += e;
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (out[i] / sum);
    }
    return out;
  }

  private int minSide() {
    return Math.min(metadata.preprocessing().width(), metadata.preprocessing().height());
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("classifier for model " + name + " is closed");
    }
  }

  /** Releases the ONNX Runtime session. Idempotent; waits for running classifications. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        Sessions.closeQuietly(session);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "ImageClassifier[" + name + ", " + metadata.labels().size() + " labels, " + device
        + (closed ? ", closed" : "") + "]";
  }

  /** Per-thread reusable direct input buffer and scratch array. */
  private static final class Buffers {
    private FloatBuffer input;
    private float[] scratch;

    FloatBuffer input(int floats) {
      if (input == null || input.capacity() < floats) {
        input = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      }
      input.clear().limit(floats);
      return input;
    }

    float[] scratch(int floats) {
      if (scratch == null || scratch.length < floats) {
        scratch = new float[floats];
      }
      return scratch;
    }
  }
}
