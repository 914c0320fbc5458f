package dev.kiln.maven.train;

import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import dev.kiln.runtime.internal.Augmentation;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Images streamed to a network that trains from the pixels (modes {@code full} and
 * {@code scratch}): each batch is decoded in parallel through the runtime's preprocessing and
 * normalised as the backbone expects. Fitted plain images are kept between epochs up to a fixed
 * memory budget ({@link #KEEP_BYTES}); the rest are decoded again, so memory is bounded whatever
 * the data set's size. With an augmentation, every epoch draws fresh variants: example {@code i} is image
 * {@code i mod n}, plain for the first {@code n} examples and augmented for the
 * {@code copies · n} after them (seeded by seed, path, epoch and copy: reproducible). A batch is
 * written into a reused array: valid until the next call.
 */
final class ImageInputs extends Inputs {

  private final List<LabelledImage> images;
  private final Preprocessing raw;
  private final Preprocessing norm;
  private final ExecutorService pool;
  private final PhotoReads photos;
  private final Augmentation augmentation;
  private final int copies;
  private final long seed;
  private long decodeNanos;
  /** Fitted plain images kept between epochs, up to {@link #KEEP_BYTES}. */
  private final java.util.Map<Integer, BufferedImage> kept =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong keptBytes =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Memory for fitted plain images kept between epochs (256 MB: about 1,300 photos at 224 px);
   * photos beyond it are decoded again each epoch, so memory stays bounded whatever the data
   * set's size.
   */
  static final long KEEP_BYTES = 256L << 20;
  private final ReusedArrays reused = new ReusedArrays();

  /**
   * @param images readable images (see {@link #readable})
   * @param raw the model's preprocessing (size and resize policy)
   * @param norm the backbone's normalisation
   * @param photos the run's photo reads (a photo that changes during training fails the run)
   * @param augmentation augmentation for the extra copies, or null for none
   * @param copies augmented examples per image and epoch
   */
  ImageInputs(List<LabelledImage> images, Preprocessing raw, Preprocessing norm,
      ExecutorService pool, PhotoReads photos, Augmentation augmentation, int copies, long seed) {
    super(repeatedLabels(images, augmentation == null ? 0 : copies));
    this.images = List.copyOf(images);
    this.raw = raw;
    this.norm = norm;
    this.pool = pool;
    this.photos = photos;
    this.augmentation = augmentation;
    this.copies = augmentation == null ? 0 : copies;
    this.seed = seed;
  }

  /** @return the labels of the plain images, then of each round of augmented copies */
  private static int[] repeatedLabels(List<LabelledImage> images, int copies) {
    int[] labels = new int[images.size() * (1 + copies)];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = images.get(i % images.size()).label();
    }
    return labels;
  }

  /**
   * Decodes every image once (in parallel, nothing kept) so that unreadable ones are reported
   * before training starts rather than in the middle of an epoch.
   *
   * @return the readable images, in order; the others are added to {@code skipped}
   */
  static List<LabelledImage> readable(List<LabelledImage> images, Preprocessing raw,
      ExecutorService pool, PhotoReads photos, List<SkippedImage> skipped) {
    List<LabelledImage> ok = new ArrayList<>();
    for (int from = 0; from < images.size(); from += FeatureSource.BATCH) {
      ImageLoader.Chunk chunk = ImageLoader.load(
          images.subList(from, Math.min(images.size(), from + FeatureSource.BATCH)), raw, pool,
          photos);
      ok.addAll(chunk.images());
      skipped.addAll(chunk.skipped());
    }
    return ok;
  }

  @Override
  INDArray batch(int[] idx, int epoch) {
    long t0 = System.nanoTime();
    int n = images.size();
    List<Future<BufferedImage>> futures = new ArrayList<>(idx.length);
    for (int i : idx) {
      LabelledImage image = images.get(i % n);
      int copy = i / n;
      int index = i % n;
      futures.add(pool.submit(() -> {
        if (copy == 0 || epoch == 0) {
          BufferedImage img = kept.get(index);
          if (img == null) {
            img = ImageLoader.fitted(image, read(image), raw, null);
            long bytes = 4L * img.getWidth() * img.getHeight();
            if (keptBytes.addAndGet(bytes) <= KEEP_BYTES) {
              kept.put(index, img);
            } else {
              keptBytes.addAndGet(-bytes);
            }
          }
          return img;
        }
        return ImageLoader.fitted(image, read(image), raw, (photo, decoded) -> augmentation.apply(
            decoded, raw, ImageLoader.variantRandom(seed, image, epoch, copy)));
      }));
    }
    int size = norm.tensorSize();
    float[] tensor = new float[idx.length * size];
    for (int k = 0; k < idx.length; k++) {
      try {
        Preprocessor.writeTensor(futures.get(k).get(), norm, tensor, k * size);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof java.io.UncheckedIOException u
            && u.getCause() instanceof PhotoReads.ChangedException) {
          throw u; // the run fails naming every changed photo (Trainer)
        }
        throw new IllegalStateException("image " + images.get(idx[k] % n).relativePath()
            + " became unreadable during training: " + (cause instanceof KilnException
                ? cause.getMessage() : cause.toString()), cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while decoding images", e);
      }
    }
    decodeNanos += System.nanoTime() - t0;
    INDArray batch = reused.get(idx.length, 3, norm.height(), norm.width());
    java.nio.FloatBuffer data = batch.data().asNioFloat();
    data.position(0);
    data.put(tensor);
    return batch;
  }

  /**
   * @return the photo's bytes, read once for this use
   * @throws java.io.UncheckedIOException with a {@link PhotoReads.ChangedException} when the photo
   *     changed since the build hashed it
   */
  private byte[] read(LabelledImage image) throws KilnException {
    try {
      return photos.read(image.file()).bytes();
    } catch (PhotoReads.ChangedException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (java.io.IOException e) {
      throw new KilnException(KilnException.Reason.IMAGE_UNREADABLE, "cannot read image "
          + image.file() + ": " + e.getMessage(), e);
    }
  }

  /** @return time spent decoding and preprocessing so far */
  long decodeMillis() {
    return decodeNanos / 1_000_000;
  }
}
