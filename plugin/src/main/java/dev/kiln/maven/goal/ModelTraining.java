package dev.kiln.maven.goal;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;

/**
 * Step 3 of the train goal: reads the backbone's weights and trains ({@link Trainer}) with the
 * configuration mapped onto a {@link TrainingRequest}.
 */
final class ModelTraining {

  private ModelTraining() {}

  static TrainingResult train(TrainConfiguration c, TrainInputs inputs,
      ProgressListener listener) throws UserProblemException {
    Backbone backbone = BackboneResolver.resolve(inputs.backboneFile(),
        c.backbone().inputSize()).withPooling(c.backbone().pooling())
        .withHiddenUnits(c.head().hiddenUnits());
    TrainingRequest request;
    try {
      request = request(c, inputs, backbone);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("invalid training configuration: " + e.getMessage(), e);
    }
    return Trainer.train(request, listener);
  }

  /** The configuration as the training engine takes it. */
  static TrainingRequest request(TrainConfiguration c, TrainInputs inputs, Backbone backbone) {
    TrainConfiguration.Optimisation o = c.optimisation();
    return TrainingRequest.builder(inputs.dataset(), backbone)
        .mode(o.mode())
        .featureLayer(c.backbone().featureLayer())
        .resize(c.backbone().resize())
        .epochs(o.epochs())
        .batchSize(o.batchSize())
        .learningRate(o.learningRate())
        .schedule(o.schedule())
        .weightDecay(o.weightDecay())
        .patience(o.patience())
        .seed(o.seed())
        .augmentedCopies(o.augmentedCopies())
        .augmentation(o.augmentedCopies() > 0 ? o.augmentation() : null)
        .fineTuneBlocks(o.fineTuneBlocks())
        .dropout(c.head().dropout())
        .labelSmoothing(c.head().labelSmoothing())
        .balanceClasses(c.head().balanceClasses())
        .headSolver(c.head().solver())
        .estimateFolds(c.gates().estimateFolds())
        .failOnBadImages(c.data().failOnBadImages())
        .device(c.run().device())
        .cacheDir(c.outputs().cacheDir())
        .build();
  }
}
