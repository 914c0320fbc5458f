package dev.kiln.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of classifying one image: a probability per label, in the model's label order.
 * Immutable.
 */
public final class Classification {

  private final List<String> labels;
  private final float[] probabilities;

  Classification(List<String> labels, float[] probabilities) {
    if (labels.size() != probabilities.length) {
      throw new IllegalArgumentException(
          "model has " + labels.size() + " labels but produced " + probabilities.length + " scores");
    }
    this.labels = labels;
    this.probabilities = probabilities;
  }

  /**
   * A classification built by hand, e.g. in the tests of code that consumes classifications
   * (no model needed).
   *
   * @param labels label names, in the model's order
   * @param probabilities one per label, each in [0, 1]
   * @return the classification
   * @throws IllegalArgumentException when the sizes differ or a probability is outside [0, 1]
   */
  public static Classification of(List<String> labels, float... probabilities) {
    for (float p : probabilities) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("probabilities must be in [0, 1], got " + p);
      }
    }
    return new Classification(List.copyOf(labels), probabilities.clone());
  }

  /** @return the most probable label */
  public Prediction best() {
    int best = 0;
    for (int i = 1; i < probabilities.length; i++) {
      if (probabilities[i] > probabilities[best]) {
        best = i;
      }
    }
    return prediction(best);
  }

  /**
   * @param k how many, at least 1 (more than the number of labels gives all of them)
   * @return the k most probable labels, most probable first (ties in label order)
   */
  public List<Prediction> topK(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, was " + k);
    }
    Integer[] order = new Integer[probabilities.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> {
      int c = Float.compare(probabilities[b], probabilities[a]);
      return c != 0 ? c : Integer.compare(a, b);
    });
    List<Prediction> top = new ArrayList<>(Math.min(k, order.length));
    for (int i = 0; i < Math.min(k, order.length); i++) {
      top.add(prediction(order[i]));
    }
    return Collections.unmodifiableList(top);
  }

  /**
   * @param label a label of the model
   * @return its probability
   * @throws IllegalArgumentException naming the valid labels when the model has no such label
   */
  public float probability(String label) {
    int i = labels.indexOf(label);
    if (i < 0) {
      throw new IllegalArgumentException("unknown label '" + label + "'; labels are " + labels);
    }
    return probabilities[i];
  }

  /** @return label → probability, in the model's label order */
  public Map<String, Float> probabilities() {
    Map<String, Float> map = new LinkedHashMap<>();
    for (int i = 0; i < probabilities.length; i++) {
      map.put(labels.get(i), probabilities[i]);
    }
    return Collections.unmodifiableMap(map);
  }

  /** @return a copy of the raw probability vector, in label order */
  public float[] scores() {
    return probabilities.clone();
  }

  /** @return the labels, in the model's order */
  public List<String> labels() {
    return labels;
  }

  private Prediction prediction(int i) {
    return new Prediction(labels.get(i), i, Math.min(1f, Math.max(0f, probabilities[i])));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Classification c
        && labels.equals(c.labels)
        && Arrays.equals(probabilities, c.probabilities);
  }

  @Override
  public int hashCode() {
    return 31 * labels.hashCode() + Arrays.hashCode(probabilities);
  }

  @Override
  public String toString() {
    return "Classification" + topK(Math.min(3, probabilities.length));
  }
}
