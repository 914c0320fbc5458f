package dev.kiln.runtime.internal;

import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Tensor-level access for Kiln's training and benchmarks (unsupported, see the package doc):
 * classify input that is already preprocessed, and write a fitted image's tensor into a direct
 * buffer.
 */
public final class Tensors {

  /** How this package reaches {@link ImageClassifier}'s tensor path; set by that class. */
  public interface Access {
    /** @see Tensors#classify */
    List<Classification> classifyTensor(ImageClassifier classifier, float[] tensor, int count)
        throws KilnException;
  }

  private static volatile Access access;

  private Tensors() {}

  /** Called once by {@link ImageClassifier}'s static initialiser. */
  public static void register(Access a) {
    if (access != null) {
      throw new IllegalStateException("tensor access is already registered");
    }
    access = a;
  }

  /**
   * Classifies already preprocessed input: {@code count} images of {@link
   * Preprocessing#tensorSize()} floats each, laid out per the model's preprocessing.
   *
   * @param classifier an open classifier
   * @param tensor the input values
   * @param count number of images in it
   * @return one classification per image
   * @throws KilnException when the tensor is too small or inference fails
   */
  public static List<Classification> classify(ImageClassifier classifier, float[] tensor,
      int count) throws KilnException {
    return access.classifyTensor(classifier, tensor, count);
  }

  /**
   * Copies one image's tensor into a (direct) buffer at the given image slot.
   *
   * @param fitted an image of exactly the input size
   * @param spec the preprocessing
   * @param scratch a scratch array of at least {@link Preprocessing#tensorSize()} floats
   * @param dst destination buffer
   * @param slot batch index
   */
  public static void write(BufferedImage fitted, Preprocessing spec, float[] scratch,
      FloatBuffer dst, int slot) {
    Preprocessor.writeTensor(fitted, spec, scratch, 0);
    dst.put(slot * spec.tensorSize(), scratch, 0, spec.tensorSize());
  }
}
