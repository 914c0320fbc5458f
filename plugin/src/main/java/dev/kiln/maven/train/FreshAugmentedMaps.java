package dev.kiln.maven.train;

import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.internal.Augmentation;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training photos of mode fine-tune as the top blocks see them, augmented afresh every
 * epoch: each training batch is decoded, augmented (a new variant per photo, epoch and copy,
 * seeded: reproducible) and run through the frozen part on ONNX Runtime, which is fast; nothing
 * of it is cached. Example {@code i} is photo {@code i mod n}, copy {@code i / n}: each epoch sees
 * every photo {@code 1 + copies} times, each time a different variant. Evaluation (epoch 0)
 * reads the plain photos' maps, computed once and cached. A batch is written into a reused
 * array: valid until the next call.
 */
final class FreshAugmentedMaps extends Inputs {

  private final Inputs plain;
  private final List<LabelledImage> photos;
  private final FeatureSource frozen;
  private final Augmentation augmentation;
  private final long seed;
  private final long[] sampleShape;
  private final ReusedArrays reused = new ReusedArrays();

  /**
   * @param plain the plain photos' maps, in the order of {@code photos} (evaluation reads them)
   * @param photos the readable training photos
   * @param frozen the frozen part up to the cut, without a cache (its maps are never reused)
   * @param copies augmented variants per photo and epoch beyond the first
   * @param sampleShape {@code [C, H, W]} of one map
   */
  FreshAugmentedMaps(Inputs plain, List<LabelledImage> photos, FeatureSource frozen,
      Augmentation augmentation, int copies, long seed, long[] sampleShape) {
    super(repeated(plain.labels(), 1 + copies));
    if (plain.size() != photos.size()) {
      throw new IllegalArgumentException("one plain map per photo: " + plain.size() + " maps, "
          + photos.size() + " photos");
    }
    this.plain = plain;
    this.photos = List.copyOf(photos);
    this.frozen = frozen;
    this.augmentation = augmentation;
    this.seed = seed;
    this.sampleShape = sampleShape.clone();
  }

  private static int[] repeated(int[] labels, int times) {
    int[] out = new int[labels.length * times];
    for (int i = 0; i < out.length; i++) {
      out[i] = labels[i % labels.length];
    }
    return out;
  }

  @Override
  INDArray batch(int[] idx, int epoch) {
    int n = photos.size();
    if (epoch == 0) {
      return plain.batch(Arrays.stream(idx).map(i -> i % n).toArray(), 0);
    }
    INDArray batch = reused.get(idx.length, sampleShape[0], sampleShape[1], sampleShape[2]);
    FloatBuffer data = batch.data().asNioFloat();
    // one frozen-part call per copy number among the batch's examples (usually one)
    float[][] rows = new float[idx.length][];
    for (int copy = 0; copy <= maxCopy(idx, n); copy++) {
      List<Integer> at = new ArrayList<>();
      for (int k = 0; k < idx.length; k++) {
        if (idx[k] / n == copy) {
          at.add(k);
        }
      }
      if (at.isEmpty()) {
        continue;
      }
      List<LabelledImage> these = at.stream().map(k -> photos.get(idx[k] % n)).toList();
      FeatureSource.Features f;
      try {
        f = frozen.augmented(these, new ArrayList<>(), augmentation, seed, epoch, copy + 1);
      } catch (KilnException e) {
        throw new IllegalStateException("augmenting the training photos failed: "
            + e.getMessage(), e);
      }
      if (f.images().size() != these.size()) {
        List<String> lost = new ArrayList<>(these.stream().map(LabelledImage::relativePath)
            .toList());
        f.images().forEach(i -> lost.remove(i.relativePath()));
        throw new IllegalStateException("photos " + lost + " became unreadable during"
            + " fine-tuning; check them and run the build again");
      }
      for (int j = 0; j < at.size(); j++) {
        rows[at.get(j)] = f.rows()[j];
      }
    }
    data.position(0);
    for (float[] row : rows) {
      data.put(row);
    }
    return batch;
  }

  private static int maxCopy(int[] idx, int n) {
    return Arrays.stream(idx).map(i -> i / n).max().orElse(0);
  }
}
