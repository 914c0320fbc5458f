package dev.kiln.maven.train;

import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Decodes and fits a chunk of images in parallel through the runtime's {@link Preprocessor}, so
 * training sees exactly the pixels the application will. Failures become {@link SkippedImage}s.
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

  static Chunk load(List<LabelledImage> images, Preprocessing spec, ExecutorService pool) {
    return load(images, spec, pool, null);
  }

  /**
   * @param fit how a decoded image becomes the input-size image (null: {@link Preprocessor#fit})
   */
  static Chunk load(List<LabelledImage> images, Preprocessing spec, ExecutorService pool,
      java.util.function.BiFunction<LabelledImage, BufferedImage, BufferedImage> fit) {
    List<Future<BufferedImage>> futures = new ArrayList<>(images.size());
    for (LabelledImage image : images) {
      futures.add(pool.submit(() -> fit == null ? Preprocessor.load(image.file(), spec)
          : fit.apply(image, dev.kiln.runtime.image.ImageDecoder.decode(image.file(),
              Math.min(spec.width(), spec.height())))));
    }
    List<LabelledImage> ok = new ArrayList<>();
    List<BufferedImage> fitted = new ArrayList<>();
    List<SkippedImage> skipped = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      try {
        fitted.add(futures.get(i).get());
        ok.add(images.get(i));
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        String reason = cause instanceof KilnException k ? k.getMessage()
            : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        skipped.add(new SkippedImage(images.get(i).relativePath(), reason));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while decoding images", e);
      }
    }
    return new Chunk(ok, fitted, skipped);
  }
}
