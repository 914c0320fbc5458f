package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.text.Count;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Mode scratch: the architecture with random weights and BatchNorm layers that learn their
 * statistics, trained from the pixels at the configured learning rate and schedule, images
 * streamed per batch. The pretrained weights are not used.
 *
 * @param settings the loop's settings
 */
record ScratchStage(FitSettings settings) implements TrainingStage {

  @Override
  public Trained run(TrainingRun run, Trained previous) throws UserProblemException {
    Dataset data = run.data();
    Backbone backbone = run.backbone();
    TrainConfiguration.Optimisation o = run.settings().optimisation();
    int copies = o.augmentedCopies();
    long t0 = System.nanoTime();
    List<LabelledImage> trainImages = ImageInputs.readable(data.train(), run.raw(), run.pool(),
        run.photos(), run.skipped());
    List<LabelledImage> valImages = ImageInputs.readable(data.validation(), run.raw(),
        run.pool(), run.photos(), run.skipped());
    run.photos().requireUnchanged();
    run.times().addDecode((System.nanoTime() - t0) / 1_000_000);
    FeatureSource.Features val = new FeatureSource.Features(valImages, new float[0][],
        valImages.stream().mapToInt(LabelledImage::label).toArray());
    ImageCheck.check(run.settings().data().failOnBadImages(), data,
        trainImages.stream().mapToInt(LabelledImage::label).toArray(),
        valImages.stream().mapToInt(LabelledImage::label).toArray(), run.skipped(),
        run.listener());
    ImageInputs trainIn = new ImageInputs(trainImages, run.raw(), backbone.normalization(),
        run.pool(), run.photos(), copies == 0 ? null : o.augmentation(), copies, o.seed());
    HeldOut heldOut = HeldOut.halves(data.validation(), o.seed());
    ImageInputs valIn = new ImageInputs(heldOut.selectionOf(val).images(), run.raw(),
        backbone.normalization(), run.pool(), run.photos(), null, 0, o.seed());
    run.listener().phase("training", backbone.architecture().id() + " from random weights"
        + " (pretrained weights unused), " + Count.of(trainIn.size(), "example") + " per epoch,"
        + " learning rate " + settings.learningRate() + " (" + settings.schedule().id()
        + "), up to " + settings.epochs() + " epochs");
    ComputationGraph g = backbone.wholeGraph(false, run.classes(), settings.dropout(),
        settings.seed(), settings.updater(settings.iterations(trainIn.size())),
        settings.weightDecay());
    double[] weights = ClassWeights.choose(run.settings().head().balanceClasses(),
        trainIn.labels(), data, run.listener());
    ClassWeights.weighLoss(g, weights);
    long t1 = System.nanoTime();
    FitResult result = FitLoop.fit(g, trainIn, valIn, run.classes(), settings,
        FitLoop.standard(settings, false, run.listener()));
    long decode = trainIn.decodeMillis() + valIn.decodeMillis();
    run.times().addDecode(decode);
    run.times().addTrain((System.nanoTime() - t1) / 1_000_000 - decode);
    return new Trained(g, result, trainImages, val, heldOut, null, false, weights, null);
  }
}
