package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.maven.engine.Dl4jSetup;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One training run's context, shared by its stages and the packaging step (DJL's trainer
 * context): the photos and the backbone, the model's raw preprocessing, the decode pool, this
 * run's photo reads (each photo read once and held to the build's fingerprint), the photos
 * skipped so far, the timings, the progress listener — and the one place feature sources and
 * their cache keys are made. Closing it stops the decode pool.
 */
final class TrainingRun implements AutoCloseable {

  private final TrainingRequest request;
  private final ProgressListener listener;
  private final ExecutorService pool;
  private final PhotoReads photos;
  private final FittedImages fitted;
  private final List<SkippedImage> skipped;
  private final RunTimes times;
  private final boolean owner;

  private TrainingRun(TrainingRequest request, ProgressListener listener) {
    this.request = request;
    this.listener = listener;
    int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
    this.pool = Executors.newFixedThreadPool(cores, r -> {
      Thread t = new Thread(r, "kiln-decode");
      t.setDaemon(true);
      return t;
    });
    this.photos = request.photos().open();
    this.fitted = new FittedImages(FittedImages.DEFAULT_BUDGET);
    this.skipped = new ArrayList<>();
    this.times = new RunTimes();
    this.owner = true;
  }

  private TrainingRun(TrainingRun parent, TrainingRequest request, ProgressListener listener,
      List<SkippedImage> skipped) {
    this.request = request;
    this.listener = listener;
    this.pool = parent.pool;
    this.photos = parent.photos;
    this.fitted = parent.fitted;
    this.skipped = skipped;
    this.times = parent.times;
    this.owner = false;
  }

  /**
   * The same run (pool, photo reads, timings) on another backbone or settings: a candidate of
   * {@code auto}'s search. Its skipped photos are its own.
   *
   * @param backbone the candidate's backbone (its pooling, depths, hidden units)
   * @param settings the candidate's settings
   * @param progress where the candidate's progress goes
   */
  TrainingRun variant(Backbone backbone, TrainConfiguration settings, ProgressListener progress) {
    return new TrainingRun(this, new TrainingRequest(request.dataset(), backbone, settings,
        request.photos()), progress, new ArrayList<>());
  }

  /** @return this run reporting to {@code progress} (same skipped photos, same everything) */
  TrainingRun reportingTo(ProgressListener progress) {
    return new TrainingRun(this, request, progress, skipped);
  }

  /**
   * Sets DL4J up, seeds ND4J, starts the decode pool and removes what an interrupted write left
   * in the feature cache.
   *
   * @return the run; close it when done
   */
  static TrainingRun open(TrainingRequest request, ProgressListener listener) {
    Dl4jSetup.init();
    Nd4j.getRandom().setSeed(request.seed());
    TrainingRun run = new TrainingRun(request, listener);
    if (request.cacheDir() != null) {
      FeatureCache.removeStale(request.cacheDir()).forEach(p -> listener.debug("removed " + p
          + ", left by a failed or interrupted write"));
    }
    return run;
  }

  /** @return the scanned photos */
  Dataset data() {
    return request.dataset();
  }

  /** @return the number of labels */
  int classes() {
    return request.dataset().labels().size();
  }

  /** @return the backbone */
  Backbone backbone() {
    return request.backbone();
  }

  /** @return the typed configuration */
  TrainConfiguration settings() {
    return request.settings();
  }

  /** @return the configured cut layer, or null for the backbone's last feature layer */
  String featureLayer() {
    return request.featureLayer();
  }

  /** @return the layer the head is put after */
  String cut() {
    return request.featureLayer() == null ? backbone().architecture().lastFeatureLayer()
        : request.featureLayer();
  }

  /** @return what the exported model takes: raw RGB at the input size, normalised inside */
  Preprocessing raw() {
    return request.modelPreprocessing();
  }

  /** @return the decode pool */
  ExecutorService pool() {
    return pool;
  }

  /** @return this run's photo reads */
  PhotoReads photos() {
    return photos;
  }

  /** @return the photos left out so far as unreadable (stages add to it) */
  List<SkippedImage> skipped() {
    return skipped;
  }

  /** @return wall time and frozen-part counts so far */
  RunTimes times() {
    return times;
  }

  /** @return where progress goes */
  ProgressListener listener() {
    return listener;
  }

  /**
   * Pooled frozen features at the configured cut: their cache entries depend on the cut, the
   * pooling and the depths concatenated (average-pooled rows keep their old keys).
   */
  FeatureSource pooledFeatures() {
    Backbone b = backbone();
    String key = (b.pooling() == PoolingType.AVG ? cut() : cut() + "|" + b.pooling())
        + (b.featureDepths() == 1 ? "" : "|depths" + b.featureDepths());
    return new FeatureSource(b, request.featureLayer(), true, raw(), request.device(),
        cache(key), pool, photos, fitted);
  }

  /**
   * @param cut the last frozen layer
   * @param cache where the maps are cached ({@link #mapCache}), or null
   * @return whole feature maps at {@code cut} (fine-tuning's inputs)
   */
  FeatureSource featureMaps(String cut, FeatureCache cache) {
    return new FeatureSource(backbone(), cut, false, raw(), request.device(), cache, pool,
        photos, fitted);
  }

  /** @return the cache of the feature maps at {@code cut}, or null without a cache folder */
  FeatureCache mapCache(String cut) {
    return cache(cut + "|map");
  }

  private FeatureCache cache(String layerKey) {
    Path dir = request.cacheDir();
    return dir == null ? null : new FeatureCache(dir, backbone().cacheIdentity(), layerKey,
        raw().toSpec());
  }

  @Override
  public void close() {
    if (owner) {
      pool.shutdownNow();
    }
  }
}
