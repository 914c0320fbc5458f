package dev.kiln.maven.train;

import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.ImageDecoder;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Reads, decodes and fits a chunk of images in parallel through the runtime's {@link
 * Preprocessor}, so training sees exactly the pixels the application will. Each photo is read once
 * ({@link PhotoReads}): the bytes decoded are the bytes hashed. Failures to read or decode become
 * {@link SkippedImage}s alike.
 */
final class ImageLoader {

  /**
   * @param images the images decoded, in order
   * @param fitted their fitted pixels
   * @param skipped images that could not be decoded
   */
  record Chunk(List<LabelledImage> images, List<BufferedImage> fitted, List<SkippedImage> skipped) {}

  private ImageLoader() {}

  /**
   * The random source of one augmented variant: seeded by the run's seed, the image's relative
   * path, the epoch (0 for the cached copies of the head-first modes) and the copy number, so
   * every variant is reproducible.
   */
  static java.util.Random variantRandom(long seed, LabelledImage image, int epoch, int copy) {
    return new java.util.Random(seed * 31 + image.relativePath().hashCode() * 1_000_003L
        + epoch * 7_919L + copy);
  }

  static Chunk load(List<LabelledImage> images, Preprocessing spec, ExecutorService pool,
      PhotoReads photos) {
    return load(images, spec, pool, photos, null);
  }

  /**
   * Reads each photo once and decodes the bytes read (never a second read of the file).
   *
   * @param photos the run's reads: a photo whose read contradicts an earlier one is in neither
   *     list of the chunk, and in {@link PhotoReads#changed()}
   * @param fit how a decoded image becomes the input-size image (null: {@link Preprocessor#fit})
   */
  static Chunk load(List<LabelledImage> images, Preprocessing spec, ExecutorService pool,
      PhotoReads photos,
      java.util.function.BiFunction<LabelledImage, BufferedImage, BufferedImage> fit) {
    return each(images, pool, i -> () -> fitted(images.get(i),
        photos.read(images.get(i).file()).bytes(), spec, fit));
  }

  /**
   * One read of a photo.
   *
   * @param image the photo
   * @param photo its bytes and their hash, or null when it could not be read
   * @param skipped why it could not be read (null when read, or when it changed: see {@link
   *     PhotoReads#changed()})
   */
  record Read(LabelledImage image, PhotoReads.Photo photo, SkippedImage skipped) {}

  /** Reads photos in parallel, each once. */
  static List<Read> read(List<LabelledImage> images, ExecutorService pool, PhotoReads photos) {
    List<Future<PhotoReads.Photo>> futures = new ArrayList<>(images.size());
    for (LabelledImage image : images) {
      futures.add(pool.submit(() -> photos.read(image.file())));
    }
    List<Read> reads = new ArrayList<>(images.size());
    for (int i = 0; i < images.size(); i++) {
      try {
        reads.add(new Read(images.get(i), futures.get(i).get(), null));
      } catch (ExecutionException e) {
        reads.add(new Read(images.get(i), null, skipped(images.get(i), e.getCause())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while reading images", e);
      }
    }
    return reads;
  }

  /**
   * Decodes photos already read, in parallel.
   *
   * @param bytes each photo's bytes, as read (and hashed) once
   */
  static Chunk decode(List<LabelledImage> images, List<byte[]> bytes, Preprocessing spec,
      ExecutorService pool,
      java.util.function.BiFunction<LabelledImage, BufferedImage, BufferedImage> fit) {
    return each(images, pool, i -> () -> fitted(images.get(i), bytes.get(i), spec, fit));
  }

  /**
   * Decodes photos already read, in parallel, each fitted by {@link Preprocessor#fit} and then
   * given to {@code ofPlain}; a photo whose fitted image {@code kept} holds is not decoded again,
   * and the ones decoded are offered to it.
   *
   * @param sha256 each photo's hash, of the bytes read
   * @param kept the run's fitted images, or null
   * @param ofPlain what the variant makes of the plain fitted image (a mirror), or null for the
   *     plain image itself
   */
  static Chunk decode(List<LabelledImage> images, List<byte[]> bytes, List<String> sha256,
      Preprocessing spec, ExecutorService pool, FittedImages kept,
      java.util.function.UnaryOperator<BufferedImage> ofPlain) {
    return each(images, pool, i -> () -> {
      BufferedImage plain = kept == null ? null : kept.get(sha256.get(i), spec);
      if (plain == null) {
        plain = fitted(images.get(i), bytes.get(i), spec, null);
        if (kept != null) {
          kept.offer(sha256.get(i), spec, plain);
        }
      }
      return ofPlain == null ? plain : ofPlain.apply(plain);
    });
  }

  /** Runs image {@code i}'s task on the pool for every {@code i}, then collects them in order. */
  private static Chunk each(List<LabelledImage> images, ExecutorService pool,
      java.util.function.IntFunction<java.util.concurrent.Callable<BufferedImage>> task) {
    List<Future<BufferedImage>> futures = new ArrayList<>(images.size());
    for (int i = 0; i < images.size(); i++) {
      futures.add(pool.submit(task.apply(i)));
    }
    return collect(images, futures);
  }

  /** @return the photo decoded from {@code bytes} and fitted */
  static BufferedImage fitted(LabelledImage image, byte[] bytes, Preprocessing spec,
      java.util.function.BiFunction<LabelledImage, BufferedImage, BufferedImage> fit)
      throws KilnException {
    BufferedImage decoded = ImageDecoder.decode(bytes, image.file().toString(),
        Math.min(spec.width(), spec.height()));
    return fit == null ? Preprocessor.fit(decoded, spec) : fit.apply(image, decoded);
  }

  private static Chunk collect(List<LabelledImage> images, List<Future<BufferedImage>> futures) {
    List<LabelledImage> ok = new ArrayList<>();
    List<BufferedImage> fitted = new ArrayList<>();
    List<SkippedImage> skipped = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      try {
        fitted.add(futures.get(i).get());
        ok.add(images.get(i));
      } catch (ExecutionException e) {
        SkippedImage s = skipped(images.get(i), e.getCause());
        if (s != null) {
          skipped.add(s);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while decoding images", e);
      }
    }
    return new Chunk(ok, fitted, skipped);
  }

  /**
   * @return the photo left out and why, as corrupt and unreadable photos alike are reported; null
   *     for a photo that changed while the build read it (the run fails: {@link
   *     PhotoReads#requireUnchanged()})
   */
  static SkippedImage skipped(LabelledImage image, Throwable cause) {
    if (cause instanceof PhotoReads.ChangedException) {
      return null;
    }
    String reason = cause instanceof KilnException k ? k.getMessage()
        : cause instanceof java.io.IOException io ? "cannot read the file ("
            + (io.getMessage() == null ? io.getClass().getSimpleName() : io.getMessage())
            + "); check its permissions and the disk, or remove it"
        : cause.getClass().getSimpleName() + ": " + cause.getMessage();
    return new SkippedImage(image.relativePath(), reason);
  }
}
