package dev.kiln.maven.train;

import dev.kiln.runtime.image.Preprocessing;
import java.awt.image.BufferedImage;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The photos of one training run decoded and fitted to a backbone's input, kept in memory up to a
 * budget: {@code auto}'s candidates on one backbone (plain, test-time flip, two depths) and the
 * mirror images of the flip then decode each photo once instead of once per candidate and
 * variant. Keyed by the SHA-256 of the bytes decoded and the preprocessing, so a hit is the very
 * image a decode would give; photos beyond the budget are decoded again, as before. The images
 * are shared: nobody may draw on them. Thread-safe.
 */
final class FittedImages {

  /** Bytes kept by default: 512 MiB, at most an eighth of the heap. */
  static final long DEFAULT_BUDGET = Math.min(512L << 20, Runtime.getRuntime().maxMemory() / 8);

  private final long budget;
  private final AtomicLong used = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger hits =
      new java.util.concurrent.atomic.AtomicInteger();
  private final Map<String, BufferedImage> images = new ConcurrentHashMap<>();

  /** @param budget bytes of pixels kept at most (0: none) */
  FittedImages(long budget) {
    if (budget < 0) {
      throw new IllegalArgumentException("budget must be >= 0, was " + budget);
    }
    this.budget = budget;
  }

  /** @return the fitted image of the photo with these bytes, or null when not kept */
  BufferedImage get(String sha256, Preprocessing spec) {
    BufferedImage kept = images.get(key(sha256, spec));
    if (kept != null) {
      hits.incrementAndGet();
    }
    return kept;
  }

  /** Keeps the fitted image while the budget allows (a photo already kept stays as it was). */
  void offer(String sha256, Preprocessing spec, BufferedImage fitted) {
    long bytes = (long) fitted.getWidth() * fitted.getHeight() * 4;
    if (used.addAndGet(bytes) > budget) {
      used.addAndGet(-bytes);
      return;
    }
    if (images.putIfAbsent(key(sha256, spec), fitted) != null) {
      used.addAndGet(-bytes);
    }
  }

  /** @return how many decodes the kept images saved so far */
  int hits() {
    return hits.get();
  }

  /** @return how many images are kept */
  int size() {
    return images.size();
  }

  private static String key(String sha256, Preprocessing spec) {
    return sha256 + "|" + spec.toSpec();
  }
}
