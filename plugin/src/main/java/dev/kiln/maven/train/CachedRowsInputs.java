package dev.kiln.maven.train;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Feature maps read back from the {@link FeatureCache} batch by batch (mode fine-tune), so memory
 * holds one batch of maps however many photos there are; rows the cache could not take stay in
 * memory. Batches are written into reused arrays: valid until the next call.
 */
final class CachedRowsInputs extends Inputs {

  private final FeatureCache cache;
  private final FeatureSource.Features features;
  private final long[] sampleShape;
  private final ReusedArrays reused = new ReusedArrays();

  /**
   * @param features rows and cache keys from {@link FeatureSource#leaveRowsInCache()}
   * @param sampleShape {@code [C, H, W]} of one map
   */
  CachedRowsInputs(FeatureCache cache, FeatureSource.Features features, long[] sampleShape) {
    super(features.labels());
    this.cache = cache;
    this.features = features;
    this.sampleShape = sampleShape.clone();
  }

  @Override
  INDArray batch(int[] idx, int epoch) {
    INDArray batch = reused.get(idx.length, sampleShape[0], sampleShape[1], sampleShape[2]);
    FloatBuffer data = batch.data().asNioFloat();
    data.position(0);
    for (int i : idx) {
      float[] row = features.rows()[i] != null ? features.rows()[i]
          : cache.get(features.keys()[i]);
      if (row == null) {
        throw new IllegalStateException("feature cache entry of "
            + features.images().get(i).relativePath() + " disappeared during training; is"
            + " something clearing the feature cache (cacheDir)? Run the build again");
      }
      data.put(row);
    }
    return batch;
  }
}
