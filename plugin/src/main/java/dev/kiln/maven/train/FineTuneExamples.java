package dev.kiln.maven.train;

import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.text.Count;
import dev.kiln.runtime.KilnException;
import java.util.ArrayList;

/**
 * What the top blocks of mode fine-tune train on, each epoch: the photos augmented afresh
 * ({@link Fresh}, the default) or fixed feature maps computed once and cached ({@link Cached}:
 * the plain photos and {@code augmentedCopies} augmented copies of each).
 */
sealed interface FineTuneExamples {

  /**
   * @param maps the frozen part up to the cut, cached
   * @param plain the plain training photos' maps
   * @return the maps computed before training (cached)
   */
  FeatureSource.Features cached(FeatureSource maps, FeatureSource.Features plain,
      TrainConfiguration.Optimisation o) throws KilnException;

  /**
   * @param cached the inputs of {@link #cached}'s maps
   * @param features {@link #cached}'s maps
   * @param frozen the frozen part up to the cut without a cache
   * @param shape {@code [C, H, W]} of one map
   * @return the training inputs
   */
  Inputs inputs(Inputs cached, FeatureSource.Features features, FeatureSource frozen,
      TrainConfiguration.Optimisation o, long[] shape);

  /** @return how the examples are made, for the log */
  String describe(TrainConfiguration.Optimisation o, int photos);

  /** Every epoch, each photo {@code 1 + augmentedCopies} times, each a new augmented variant. */
  record Fresh() implements FineTuneExamples {
    @Override
    public FeatureSource.Features cached(FeatureSource maps, FeatureSource.Features plain,
        TrainConfiguration.Optimisation o) {
      return plain;
    }

    @Override
    public Inputs inputs(Inputs cached, FeatureSource.Features features, FeatureSource frozen,
        TrainConfiguration.Optimisation o, long[] shape) {
      return new FreshAugmentedMaps(cached, features.images(), frozen, o.augmentation(),
          o.augmentedCopies(), o.seed(), shape);
    }

    @Override
    public String describe(TrainConfiguration.Optimisation o, int photos) {
      return Count.of(photos * (1 + o.augmentedCopies()), "photo") + " per epoch, augmented"
          + " afresh each epoch (" + o.augmentation().toSpec() + "), the frozen part re-run on"
          + " ONNX Runtime";
    }
  }

  /** The plain photos and {@code augmentedCopies} cached augmented copies, the same each epoch. */
  record Cached() implements FineTuneExamples {
    @Override
    public FeatureSource.Features cached(FeatureSource maps, FeatureSource.Features plain,
        TrainConfiguration.Optimisation o) throws KilnException {
      FeatureSource.Features all = plain;
      for (int copy = 1; copy <= o.augmentedCopies(); copy++) {
        all = HeadStage.concat(all, maps.features(plain.images(), new ArrayList<>(),
            o.augmentation(), o.seed(), copy));
      }
      return all;
    }

    @Override
    public Inputs inputs(Inputs cached, FeatureSource.Features features, FeatureSource frozen,
        TrainConfiguration.Optimisation o, long[] shape) {
      return cached;
    }

    @Override
    public String describe(TrainConfiguration.Optimisation o, int photos) {
      return Count.of(photos * (1 + o.augmentedCopies()), "example") + " per epoch, the same"
          + " cached maps each epoch (" + (o.augmentedCopies() == 0 ? "no augmentation"
              : Count.of(o.augmentedCopies(), "augmented copy", "augmented copies")
                  + " per photo") + ")";
    }
  }
}
