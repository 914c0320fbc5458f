package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.runtime.KilnException;
import java.util.ArrayList;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fine-tuning after the head was trained on the frozen backbone: the frozen part runs once per
 * photo on ONNX Runtime up to where the top blocks start (feature maps, cached); DL4J trains the
 * top blocks (BatchNorm folded, statistics frozen) and the head at the stage's learning rate,
 * starting from the trained head; if no epoch beats the head alone on validation loss, the head
 * alone is kept.
 *
 * @param blocks top blocks trained
 * @param settings the loop's settings (the Keras fine-tuning guide's hundredth of the head's
 *     learning rate)
 */
record FineTuneStage(int blocks, FitSettings settings) implements TrainingStage {

  @Override
  public Trained run(TrainingRun run, Trained previous) throws KilnException {
    Backbone backbone = run.backbone();
    TrainConfiguration.Optimisation o = run.settings().optimisation();
    String cut = backbone.architecture().cutBefore(blocks);
    int classes = run.classes();
    FeatureCache cache = run.mapCache(cut);
    FeatureSource.Features train;
    FeatureSource.Features val;
    try (FeatureSource maps = run.featureMaps(cut, cache)) {
      maps.leaveRowsInCache(); // maps are large: read back per batch, memory stays flat
      train = maps.features(run.data().train(), new ArrayList<>());
      // only these choose the epoch
      val = maps.features(previous.heldOut().selection(), new ArrayList<>());
      for (int copy = 1; copy <= o.augmentedCopies(); copy++) {
        train = HeadStage.concat(train, maps.features(run.data().train(), new ArrayList<>(),
            o.augmentation(), o.seed(), copy));
      }
      run.times().add(maps);
    }
    run.listener().phase("fine-tuning", "top " + blocks + " blocks after " + cut + " and the"
        + " head, learning rate " + settings.learningRate() + ", BatchNorm statistics frozen");
    ComputationGraph top = backbone.topGraph(blocks, classes, settings.dropout(),
        settings.seed(), settings.updater(settings.iterations(train.labels().length)),
        settings.weightDecay());
    Stages.copyParameters(previous.result().graph(), top); // the trained head's, by name
    ClassWeights.weighLoss(top, previous.classWeights());
    long t0 = System.nanoTime();
    long[] shape = backbone.architecture().shapeAfter(cut, backbone.inputSize());
    FitResult tuned = FitLoop.fit(top, mapInputs(cache, train, shape),
        mapInputs(cache, val, shape), classes, settings,
        FitLoop.standard(settings, true, run.listener()));
    run.times().addTrain((System.nanoTime() - t0) / 1_000_000);
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
