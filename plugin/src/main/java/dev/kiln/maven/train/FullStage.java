package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.text.Count;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Mode full, after the head was trained on the frozen backbone: every layer (stem included,
 * BatchNorm folded so its statistics stay as pretrained) and the head are trained from the
 * pixels at the stage's learning rate, images streamed per batch (fresh augmented variants each
 * epoch when augmentation is on). If no epoch beats the head alone on validation loss, the head
 * alone is kept.
 *
 * @param settings the loop's settings (a hundredth of the head's learning rate)
 */
record FullStage(FitSettings settings) implements TrainingStage {

  @Override
  public Trained run(TrainingRun run, Trained previous) {
    Backbone backbone = run.backbone();
    TrainConfiguration.Optimisation o = run.settings().optimisation();
    int copies = o.augmentedCopies();
    run.listener().phase("full fine-tuning", "every layer and the head from the pixels,"
        + " learning rate " + settings.learningRate() + ", BatchNorm statistics frozen, "
        + Count.of(previous.trainPhotos().size(), "image") + " per epoch"
        + (copies == 0 ? "" : " + " + copies + " fresh augmented copies each"));
    ImageInputs trainIn = new ImageInputs(previous.trainPhotos(), run.raw(),
        backbone.normalization(), run.pool(), run.photos(), copies == 0 ? null
            : o.augmentation(), copies, o.seed());
    ComputationGraph full = backbone.wholeGraph(true, run.classes(), settings.dropout(),
        settings.seed(), settings.updater(settings.iterations(trainIn.size())),
        settings.weightDecay());
    Stages.copyParameters(previous.result().graph(), full); // the trained head's, by name
    ClassWeights.weighLoss(full, previous.classWeights());
    ImageInputs valIn = new ImageInputs(previous.heldOut().selectionOf(previous.val()).images(),
        run.raw(), backbone.normalization(), run.pool(), run.photos(), null, 0, o.seed());
    long t0 = System.nanoTime();
    FitResult tuned = FitLoop.fit(full, trainIn, valIn, run.classes(), settings,
        FitLoop.standard(settings, true, run.listener()));
    long decode = trainIn.decodeMillis() + valIn.decodeMillis();
    run.times().addDecode(decode);
    run.times().addTrain((System.nanoTime() - t0) / 1_000_000 - decode);
    return previous.after(full, Stages.combine(previous.result(), tuned, full,
        run.listener()));
  }
}
