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
    int size = c.backbone().inputSize() > 0 ? c.backbone().inputSize()
        : BackboneResolver.trainedSize(c.backbone().source());
    Backbone backbone = BackboneResolver.resolve(inputs.backboneFile(), size,
        c.backbone().family()).withPooling(c.backbone().pooling())
        .withHiddenUnits(c.head().hiddenUnits()).withFeatureDepths(c.backbone().featureDepths());
    TrainingRequest request;
    try {
      request = request(c, inputs, backbone);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("invalid training configuration: " + e.getMessage(), e);
    }
    return Trainer.train(request, listener);
  }

  /** The configuration as the training engine takes it: the photos, the backbone, itself. */
  static TrainingRequest request(TrainConfiguration c, TrainInputs inputs, Backbone backbone) {
    return new TrainingRequest(inputs.dataset(), backbone, c);
  }
}
