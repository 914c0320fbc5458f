package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import dev.kiln.runtime.internal.Augmentation;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * Frozen-backbone features for lists of images: from the cache when present, otherwise decoded
 * (in parallel, through the runtime's preprocessing) and run through the frozen part on ONNX
 * Runtime in batches, then cached. The frozen part is exported and loaded only when some image
 * misses the cache. Each photo is read once ({@link PhotoReads}): its cache key is the hash of the
 * bytes decoded, and a read that contradicts the build's fingerprint is neither used nor cached.
 * Streams: only one batch of read and of decoded images is held at a time.
 */
final class FeatureSource implements AutoCloseable {

  /** Images per frozen-forward batch. */
  static final int BATCH = 16;

  private final Backbone backbone;
  private final String cutLayer;
  private final Preprocessing raw;
  private final Device device;
  private final FeatureCache cache;
  private final ExecutorService pool;
  private final PhotoReads photos;
  private final boolean pooled;
  private boolean keepRows = true;
  /** Marks a row left in the cache. */
  private static final float[] IN_CACHE = new float[0];
  private FrozenForward forward;
  private final FittedImages kept;
  private long decodeNanos;
  private long forwardNanos;
  private int computed;
  private int cached;

  /**
   * @param cutLayer last frozen layer (null: the last feature layer)
   * @param pooled true: globally average-pooled rows; false: whole feature maps, flattened
   * @param photos this run's photo reads (each photo read once, checked against the build's
   *     fingerprint)
   */
  FeatureSource(Backbone backbone, String cutLayer, boolean pooled, Preprocessing raw,
      Device device, FeatureCache cache, ExecutorService pool, PhotoReads photos) {
    this(backbone, cutLayer, pooled, raw, device, cache, pool, photos, null);
  }

  /**
   * @param kept the run's fitted images (plain and mirror images are made from them, and photos
   *     decoded here are offered to them), or null
   */
  FeatureSource(Backbone backbone, String cutLayer, boolean pooled, Preprocessing raw,
      Device device, FeatureCache cache, ExecutorService pool, PhotoReads photos,
      FittedImages kept) {
    this.kept = kept;
    this.photos = photos;
    this.pooled = pooled;
    this.backbone = backbone;
    this.cutLayer = cutLayer;
    this.raw = raw;
    this.device = device;
    this.cache = cache;
    this.pool = pool;
  }

  /**
   * Feature rows of the images that could be read, in input order.
   *
   * @param rows the rows, or null entries when they were left in the cache ({@code keys})
   * @param keys cache keys per row, or null without a cache
   */
  record Features(List<LabelledImage> images, float[][] rows, int[] labels, String[] keys) {
    Features(List<LabelledImage> images, float[][] rows, int[] labels) {
      this(images, rows, labels, null);
    }

  }

  Features features(List<LabelledImage> images, List<SkippedImage> skipped)
      throws KilnException {
    return features(images, skipped, "", null, null);
  }

  /**
   * Features of augmented copies: variant {@code copy} of every image, drawn with a random
   * generator seeded by the seed, the image's relative path and the copy number (reproducible,
   * and cached like plain images).
   */
  Features features(List<LabelledImage> images, List<SkippedImage> skipped,
      Augmentation augmentation, long seed, int copy) throws KilnException {
    return augmented(images, skipped, augmentation, seed, 0, copy);
  }

  /**
   * Features of augmented copies drawn for one training epoch: variant {@code copy} of every
   * image, seeded by the seed, the image's relative path, the epoch and the copy number (epoch 0:
   * the copies {@link #features(List, List, Augmentation, long, int)} caches).
   */
  Features augmented(List<LabelledImage> images, List<SkippedImage> skipped,
      Augmentation augmentation, long seed, int epoch, int copy) throws KilnException {
    String variant = augmentation == null ? ""
        : "aug:" + augmentation.toSpec() + ":" + seed + ":" + copy
            + (epoch == 0 ? "" : ":epoch" + epoch);
    return features(images, skipped, variant, augmentation == null ? null
        : (image, decoded) -> augmentation.apply(decoded, raw,
            ImageLoader.variantRandom(seed, image, epoch, copy)), null);
  }

  /** Features of the mirror images (left and right swapped), cached as their own variant. */
  Features mirrored(List<LabelledImage> images, List<SkippedImage> skipped) throws KilnException {
    return features(images, skipped, "mirror", null, Mirror::of);
  }

  /**
   * @param variant cache key suffix of this variant ("" for the plain images)
   * @param fit how a decoded image becomes the input-size image (an augmentation), or null: the
   *     plain fit, then {@code ofPlain}
   * @param ofPlain what the variant makes of the plain fitted image (a mirror), or null
   */
  private Features features(List<LabelledImage> images, List<SkippedImage> skipped,
      String variant, java.util.function.BiFunction<LabelledImage, java.awt.image.BufferedImage,
          java.awt.image.BufferedImage> fit,
      java.util.function.UnaryOperator<java.awt.image.BufferedImage> ofPlain)
      throws KilnException {
    float[][] rows = new float[images.size()][];
    String[] keys = new String[images.size()];
    // each photo is read once: the bytes hashed for its key are the bytes decoded; only a batch
    // of read photos is held at a time
    List<Integer> pending = new ArrayList<>();
    List<byte[]> pendingBytes = new ArrayList<>();
    List<String> pendingSha = new ArrayList<>();
    for (int from = 0; from < images.size(); from += BATCH) {
      int to = Math.min(images.size(), from + BATCH);
      long t0 = System.nanoTime();
      List<ImageLoader.Read> reads = ImageLoader.read(images.subList(from, to), pool, photos);
      decodeNanos += System.nanoTime() - t0;
      for (int i = from; i < to; i++) {
        ImageLoader.Read read = reads.get(i - from);
        if (read.photo() == null) {
          if (read.skipped() != null) {
            skipped.add(read.skipped());
          }
          continue; // unreadable (reported) or changed (the run fails): nothing cached
        }
        if (cache != null) {
          keys[i] = cache.key(read.photo().sha256(), variant);
          rows[i] = keepRows ? cache.get(keys[i]) : cache.contains(keys[i]) ? IN_CACHE : null;
        }
        if (rows[i] != null) {
          cached++;
          continue;
        }
        pending.add(i);
        pendingBytes.add(read.photo().bytes());
        pendingSha.add(read.photo().sha256());
        if (pending.size() == BATCH) {
          compute(images, pending, pendingBytes, pendingSha, rows, keys, skipped, fit, ofPlain);
        }
      }
    }
    compute(images, pending, pendingBytes, pendingSha, rows, keys, skipped, fit, ofPlain);
    List<LabelledImage> ok = new ArrayList<>();
    List<float[]> okRows = new ArrayList<>();
    List<String> okKeys = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      if (rows[i] != null) {
        ok.add(images.get(i));
        okRows.add(rows[i] == IN_CACHE ? null : rows[i]);
        okKeys.add(keys[i]);
      }
    }
    return new Features(ok, okRows.toArray(float[][]::new),
        ok.stream().mapToInt(LabelledImage::label).toArray(),
        cache == null ? null : okKeys.toArray(String[]::new));
  }

  /**
   * Decodes the pending photos from the bytes read for them, runs the frozen part and caches each
   * row under its photo's key (the hash of those very bytes); then clears the pending lists.
   */
  private void compute(List<LabelledImage> images, List<Integer> pending,
      List<byte[]> pendingBytes, List<String> pendingSha, float[][] rows, String[] keys,
      List<SkippedImage> skipped, java.util.function.BiFunction<LabelledImage,
          java.awt.image.BufferedImage, java.awt.image.BufferedImage> fit,
      java.util.function.UnaryOperator<java.awt.image.BufferedImage> ofPlain)
      throws KilnException {
    if (pending.isEmpty()) {
      return;
    }
    long t0 = System.nanoTime();
    List<LabelledImage> part = pending.stream().map(images::get).toList();
    ImageLoader.Chunk chunk = fit != null
        ? ImageLoader.decode(part, pendingBytes, raw, pool, fit)
        : ImageLoader.decode(part, pendingBytes, pendingSha, raw, pool, kept, ofPlain);
    skipped.addAll(chunk.skipped());
    if (chunk.fitted().isEmpty()) {
      decodeNanos += System.nanoTime() - t0;
      pending.clear();
      pendingBytes.clear();
      pendingSha.clear();
      return;
    }
    float[] scratch = new float[raw.tensorSize()];
    FrozenForward f = forward();
    FloatBuffer buf = f.inputBuffer(chunk.fitted().size());
    for (int i = 0; i < chunk.fitted().size(); i++) {
      dev.kiln.runtime.internal.Tensors.write(chunk.fitted().get(i), raw, scratch, buf, i);
    }
    long t1 = System.nanoTime();
    float[][] out = f.run(chunk.fitted().size());
    long t2 = System.nanoTime();
    decodeNanos += t1 - t0;
    forwardNanos += t2 - t1;
    computed += out.length;
    int o = 0;
    for (int index : pending) {
      if (chunk.images().contains(images.get(index))) {
        rows[index] = out[o++];
        if (cache != null && cache.put(keys[index], rows[index]) && !keepRows) {
          rows[index] = IN_CACHE;
        }
      }
    }
    pending.clear();
    pendingBytes.clear();
    pendingSha.clear();
  }

  private FrozenForward forward() throws KilnException {
    if (forward == null) {
      long[] shape = {3, backbone.inputSize(), backbone.inputSize()};
      forward = new FrozenForward(frozenModel(backbone, cutLayer, pooled), shape, device);
    }
    return forward;
  }

  /**
   * The frozen part as ONNX Runtime runs it: raw 0..255 RGB in (normalisation inside),
   * {@code features} out — pooled ({@code [N, C]}, the backbone's pooling and depths) or the
   * feature map itself.
   *
   * @param backbone the backbone
   * @param cutLayer where it is cut (null: its default)
   * @param pooled true for pooled features
   * @return the model's bytes
   */
  static byte[] frozenModel(Backbone backbone, String cutLayer, boolean pooled) {
    if (backbone.architecture() instanceof dev.kiln.maven.backbone.OnnxArchitecture user) {
      return pooled ? user.featuresModel(
          backbone.pooling() == org.deeplearning4j.nn.conf.layers.PoolingType.MAX)
          : user.featureMapsModel(cutLayer == null ? user.cut() : cutLayer);
    }
    long[] shape = {3, backbone.inputSize(), backbone.inputSize()};
    return OnnxExporter.export(pooled ? backbone.featureGraph(cutLayer)
        : backbone.featureMapGraph(cutLayer), shape,
        new OnnxExporter.Options(backbone.normalization(), Map.of(), "features"));
  }

  /**
   * Leaves rows in the cache instead of memory (when there is a cache): {@link Features#rows()}
   * then holds nulls and {@link Features#keys()} the keys to read them back per batch. For
   * feature maps, which are large (about 100 KB per photo at 224 px).
   *
   * @return this
   */
  FeatureSource leaveRowsInCache() {
    keepRows = cache == null;
    return this;
  }

  /** @return where the frozen part ran, or "not needed" when everything came from the cache */
  String deviceInUse() {
    return forward == null ? "not needed: every image cached" : forward.device().toString();
  }

  long decodeMillis() {
    return decodeNanos / 1_000_000;
  }

  long forwardMillis() {
    return forwardNanos / 1_000_000;
  }

  int computed() {
    return computed;
  }

  int cached() {
    return cached;
  }

  @Override
  public void close() {
    if (forward != null) {
      forward.close();
    }
  }
}
