package dev.kiln.maven.train;

import dev.kiln.maven.text.Count;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.LearningRateSchedule;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.Preprocessing;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training more than the head: {@code fine-tune}'s top blocks on cached feature maps,
 * {@code full}'s every layer and {@code scratch}'s randomly initialised network on streamed
 * images. {@link Trainer} orchestrates; this class holds the stages.
 */
final class DeeperTraining {

  private DeeperTraining() {}

  /**
   * Fine-tuning after the head was trained on the frozen backbone: the frozen part runs once per
   * image on ONNX Runtime up to where the top blocks start (feature maps, cached); DL4J trains
   * the top blocks (BatchNorm folded, statistics frozen) and the head at a hundredth of the
   * learning rate, starting from the trained head; if no epoch beats the head alone on
   * validation loss, the head alone is kept.
   */
  static Trainer.Trained fineTune(TrainingRequest request, HeadTrainer.Result head,
      double[] weights, Preprocessing raw, ExecutorService pool, ProgressListener listener,
      Trainer.Work work, FeatureSource.Features pooledVal, HeldOut heldOut,
      LinearHead.Fitted linear, PhotoReads photos) throws KilnException {
    Backbone backbone = request.backbone();
    int blocks = request.fineTuneBlocks();
    String cut = backbone.architecture().cutBefore(blocks);
    int classes = request.dataset().labels().size();
    FeatureCache cache = request.cacheDir() == null ? null : new FeatureCache(request.cacheDir(),
        backbone.cacheIdentity(), cut + "|map", raw.toSpec());
    FeatureSource.Features train;
    FeatureSource.Features val;
    try (FeatureSource maps = new FeatureSource(backbone, cut, false, raw, request.device(),
        cache, pool, photos)) {
      maps.leaveRowsInCache(); // maps are large: read back per batch, memory stays flat
      train = maps.features(request.dataset().train(), new ArrayList<>());
      val = maps.features(heldOut.selection(), new ArrayList<>()); // only these choose the epoch
      for (int copy = 1; copy <= request.augmentedCopies(); copy++) {
        train = Trainer.concat(train, maps.features(request.dataset().train(), new ArrayList<>(),
            request.augmentation(), request.seed(), copy));
      }
      work.add(maps);
    }
    // the Keras fine-tuning guide: Adam at 1e-5 after the head was trained at 1e-3
    double lr = request.learningRate() / 100;
    listener.phase("fine-tuning", "top " + blocks + " blocks after " + cut + " and the head,"
        + " learning rate " + lr + ", BatchNorm statistics frozen");
    HeadTrainer.Config config = lowRate(request, lr);
    ComputationGraph top = backbone.topGraph(blocks, classes, request.dropout(), request.seed(),
        config.updater(iterations(train.labels().length, request)), request.weightDecay());
    copyParameters(head.head(), top); // the trained head's layers, by name
    HeadTrainer.weighLoss(top, weights);
    long t0 = System.nanoTime();
    long[] shape = backbone.architecture().shapeAfter(cut, backbone.inputSize());
    HeadTrainer.Result tuned = HeadTrainer.fit(top, mapInputs(cache, train, shape),
        mapInputs(cache, val, shape), classes, config, true, listener);
    work.trainMillis += (System.nanoTime() - t0) / 1_000_000;
    ComputationGraph full = backbone.fineTunedGraph(blocks, classes, request.dropout(),
        request.seed());
    copyParameters(top, full);
    return new Trainer.Trained(full, combine(head, tuned, full, listener), pooledVal, heldOut,
        linear, false);
  }

  /**
   * Mode full, after the head was trained on the frozen backbone: every layer (stem included,
   * BatchNorm folded so its statistics stay as pretrained) and the head are trained from the
   * pixels at a hundredth of the learning rate, images streamed per batch (fresh augmented
   * variants each epoch when augmentation is on). If no epoch beats the head alone on
   * validation loss, the head alone is kept.
   */
  static Trainer.Trained fullTune(TrainingRequest request, HeadTrainer.Result head,
      double[] weights, FeatureSource.Features train, FeatureSource.Features val,
      HeldOut heldOut, LinearHead.Fitted linear, Preprocessing raw, ExecutorService pool,
      PhotoReads photos, ProgressListener listener, Trainer.Work work) {
    Backbone backbone = request.backbone();
    int classes = request.dataset().labels().size();
    double lr = request.learningRate() / 100;
    listener.phase("full fine-tuning", "every layer and the head from the pixels, learning rate "
        + lr + ", BatchNorm statistics frozen, " + Count.of(train.images().size(), "image")
        + " per epoch"
        + (request.augmentedCopies() == 0 ? ""
            : " + " + request.augmentedCopies() + " fresh augmented copies each"));
    HeadTrainer.Config config = lowRate(request, lr);
    ImageInputs trainIn = new ImageInputs(train.images(), raw, backbone.normalization(), pool,
        photos, request.augmentation(), request.augmentedCopies(), request.seed());
    ComputationGraph full = backbone.wholeGraph(true, classes, request.dropout(), request.seed(),
        config.updater(iterations(trainIn.size(), request)), request.weightDecay());
    copyParameters(head.head(), full); // the trained head's layers, by name
    HeadTrainer.weighLoss(full, weights);
    ImageInputs valIn = new ImageInputs(heldOut.selectionOf(val).images(), raw,
        backbone.normalization(), pool, photos, null, 0, request.seed());
    long t0 = System.nanoTime();
    HeadTrainer.Result tuned = HeadTrainer.fit(full, trainIn, valIn, classes, config, true,
        listener);
    work.decodeMillis += trainIn.decodeMillis() + valIn.decodeMillis();
    work.trainMillis += (System.nanoTime() - t0) / 1_000_000 - trainIn.decodeMillis()
        - valIn.decodeMillis();
    return new Trainer.Trained(full, combine(head, tuned, full, listener), val, heldOut, linear,
        false);
  }

  /**
   * Mode scratch: the architecture with random weights and BatchNorm layers that learn their
   * statistics, trained from the pixels at the configured learning rate and schedule, images
   * streamed per batch. The pretrained weights are not used.
   */
  static Trainer.Trained scratch(TrainingRequest request, Preprocessing raw,
      ExecutorService pool, PhotoReads photos, List<SkippedImage> skipped, Trainer.Work work,
      ProgressListener listener) throws UserProblemException {
    Dataset data = request.dataset();
    Backbone backbone = request.backbone();
    int classes = data.labels().size();
    long t0 = System.nanoTime();
    List<LabelledImage> trainImages = ImageInputs.readable(data.train(), raw, pool, photos,
        skipped);
    List<LabelledImage> valImages = ImageInputs.readable(data.validation(), raw, pool, photos,
        skipped);
    photos.requireUnchanged();
    work.decodeMillis += (System.nanoTime() - t0) / 1_000_000;
    FeatureSource.Features val = new FeatureSource.Features(valImages, new float[0][],
        valImages.stream().mapToInt(LabelledImage::label).toArray());
    Trainer.checkImages(request, data,
        trainImages.stream().mapToInt(LabelledImage::label).toArray(),
        valImages.stream().mapToInt(LabelledImage::label).toArray(), skipped, listener);
    ImageInputs trainIn = new ImageInputs(trainImages, raw, backbone.normalization(), pool,
        photos, request.augmentation(), request.augmentedCopies(), request.seed());
    HeldOut heldOut = HeldOut.halves(data.validation(), request.seed());
    ImageInputs valIn = new ImageInputs(heldOut.selectionOf(val).images(), raw,
        backbone.normalization(), pool, photos, null, 0, request.seed());
    LearningRateSchedule schedule = request.schedule() == null ? LearningRateSchedule.CONSTANT
        : request.schedule();
    HeadTrainer.Config config = HeadTrainer.Config.of(request, request.learningRate(), null,
        backbone.hiddenUnits());
    listener.phase("training", backbone.architecture().id() + " from random weights (pretrained"
        + " weights unused), " + Count.of(trainIn.size(), "example") + " per epoch, learning rate "
        + request.learningRate() + " (" + schedule.id() + "), up to " + request.epochs()
        + " epochs");
    ComputationGraph g = backbone.wholeGraph(false, classes, request.dropout(), request.seed(),
        config.updater(iterations(trainIn.size(), request)), request.weightDecay());
    HeadTrainer.weighLoss(g, Trainer.classWeights(request, trainIn.labels(), data, listener));
    long t1 = System.nanoTime();
    HeadTrainer.Result result = HeadTrainer.fit(g, trainIn, valIn, classes, config, false,
        listener);
    work.decodeMillis += trainIn.decodeMillis() + valIn.decodeMillis();
    work.trainMillis += (System.nanoTime() - t1) / 1_000_000 - trainIn.decodeMillis()
        - valIn.decodeMillis();
    return new Trainer.Trained(g, result, val, heldOut, null, false);
  }

  private static HeadTrainer.Config lowRate(TrainingRequest request, double lr) {
    return HeadTrainer.Config.of(request, lr, null, request.backbone().hiddenUnits());
  }

  private static int iterations(int examples, TrainingRequest request) {
    return (examples + request.batchSize() - 1) / request.batchSize();
  }

  /** The head's history, then the later stage's; best epoch counted over both. */
  private static HeadTrainer.Result combine(HeadTrainer.Result head, HeadTrainer.Result tuned,
      ComputationGraph full, ProgressListener listener) {
    List<EpochStats> history = new ArrayList<>(head.history());
    history.addAll(tuned.history());
    int best = tuned.bestEpoch() == 0 ? head.bestEpoch()
        : head.history().size() + tuned.bestEpoch();
    listener.debug("second stage best epoch " + tuned.bestEpoch() + " (0 = the head alone)");
    return new HeadTrainer.Result(full, history, best);
  }

  static void copyParameters(ComputationGraph from, ComputationGraph to) {
    for (Layer layer : from.getLayers()) {
      if (layer.numParams() > 0) {
        // per parameter: a flat setParams mis-orders DepthwiseConvolution2D's W and b
        Layer target = to.getLayer(layer.conf().getLayer().getLayerName());
        layer.paramTable().forEach((key, value) -> target.getParam(key).assign(value));
      }
    }
  }

  private static HeadTrainer.Inputs mapInputs(FeatureCache cache, FeatureSource.Features f,
      long[] shape) {
    return f.keys() != null ? new CachedRowsInputs(cache, f, shape)
        : new HeadTrainer.ArrayInputs(Nd4j.create(f.rows()), shape, f.labels());
  }

}
