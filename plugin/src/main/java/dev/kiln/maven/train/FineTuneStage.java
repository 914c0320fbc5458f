package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.LearningRateSchedule;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.runtime.KilnException;
import java.util.ArrayList;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.schedule.FixedSchedule;

/**
 * Fine-tuning after the head was trained on the frozen backbone: the frozen part runs on ONNX
 * Runtime up to where the top blocks start (the plain photos' feature maps computed once and
 * cached); DL4J trains the top blocks (BatchNorm folded, statistics frozen) and the head,
 * starting from the trained head, on the examples {@code examples} makes (by default the photos
 * augmented afresh each epoch) at the rates {@code rates} sets (by default found by a range test,
 * the blocks slower than the head). The held-out selection photos choose the epoch and stop the
 * loop; if no epoch beats the head alone on their loss, the head alone is kept.
 *
 * @param blocks top blocks trained
 * @param settings the loop's settings (epochs, patience, batch size, schedule, seed)
 * @param examples what the top blocks train on each epoch
 * @param rates how the head's and the blocks' learning rates are set
 */
record FineTuneStage(int blocks, FitSettings settings, FineTuneExamples examples,
    FineTuneRates rates) implements TrainingStage {

  /**
   * The first recipe (before issue 22): cached maps, every layer at {@code settings}' rate (a
   * hundredth of the head's), kept for comparison in the benchmarks.
   */
  static FineTuneStage fixed(int blocks, FitSettings settings) {
    return new FineTuneStage(blocks, settings, new FineTuneExamples.Cached(),
        new FineTuneRates.Fixed(settings.learningRate()));
  }

  @Override
  public Trained run(TrainingRun run, Trained previous) throws KilnException {
    Backbone backbone = run.backbone();
    TrainConfiguration.Optimisation o = run.settings().optimisation();
    String cut = backbone.architecture().cutBefore(blocks);
    int classes = run.classes();
    long[] shape = backbone.architecture().shapeAfter(cut, backbone.inputSize());
    FeatureCache cache = run.mapCache(cut);
    FeatureSource.Features train;
    FeatureSource.Features val;
    try (FeatureSource maps = run.featureMaps(cut, cache)) {
      maps.leaveRowsInCache(); // maps are large: read back per batch, memory stays flat
      FeatureSource.Features plain = maps.features(previous.trainPhotos(), new ArrayList<>());
      // only these choose the epoch
      val = maps.features(previous.heldOut().selection(), new ArrayList<>());
      train = examples.cached(maps, plain, o);
      run.times().add(maps);
    }
    ComputationGraph top = backbone.topGraph(blocks, classes, settings.dropout(),
        settings.seed(), settings.updater(settings.iterations(train.labels().length)),
        settings.weightDecay());
    Stages.copyParameters(previous.result().graph(), top); // the trained head's, by name
    ClassWeights.weighLoss(top, previous.classWeights());
    long t0 = System.nanoTime();
    Inputs cached = mapInputs(cache, train, shape);
    LayerRates chosen = rates.choose(top, cached, classes, settings, run.listener());
    FitResult tuned;
    try (FeatureSource frozen = run.featureMaps(cut, null)) {
      Inputs trainIn = examples.inputs(cached, train, frozen, o, shape);
      int iterations = settings.iterations(trainIn.size());
      chosen.applyTo(top, settings.schedule() == LearningRateSchedule.CONSTANT
          ? FixedSchedule::new
          : r -> settings.schedule().toSchedule(r, settings.epochs(), iterations));
      run.listener().phase("fine-tuning", "top " + blocks + " blocks after " + cut + " and the"
          + " head, learning rate " + chosen + ", BatchNorm statistics frozen, "
          + examples.describe(o, previous.trainPhotos().size()) + "; the epoch chosen on "
          + previous.heldOut().selection().size() + " held-out photos, patience "
          + settings.patience());
      tuned = FitLoop.fit(top, trainIn, mapInputs(cache, val, shape), classes, settings,
          FitLoop.standard(settings, true, run.listener()));
      run.times().add(frozen); // the fresh variants' decoding and frozen part, not training
      run.times().addTrain((System.nanoTime() - t0) / 1_000_000 - frozen.decodeMillis()
          - frozen.forwardMillis());
    }
    ComputationGraph full = backbone.fineTunedGraph(blocks, classes, settings.dropout(),
        settings.seed());
    Stages.copyParameters(top, full);
    return previous.after(full, Stages.combine(previous.result(), tuned, full,
        run.listener()));
  }

  private static Inputs mapInputs(FeatureCache cache, FeatureSource.Features f, long[] shape) {
    return f.keys() != null ? new CachedRowsInputs(cache, f, shape)
        : new ArrayInputs(Nd4j.create(f.rows()), shape, f.labels());
  }
}
