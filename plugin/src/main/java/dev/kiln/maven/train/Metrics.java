package dev.kiln.maven.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Accuracy and cross-entropy of predicted probabilities, and one-hot targets. */
final class Metrics {

  private Metrics() {}

  static INDArray oneHot(int[] labels, int classes) {
    INDArray y = Nd4j.zeros(DataType.FLOAT, labels.length, classes);
    for (int i = 0; i < labels.length; i++) {
      y.putScalar(i, labels[i], 1f);
    }
    return y;
  }

  static double accuracy(INDArray probabilities, int[] labels) {
    // one copy to Java arrays: per-row INDArray ops cost ~0.1 ms each
    float[][] p = probabilities.toFloatMatrix();
    int right = 0;
    for (int i = 0; i < labels.length; i++) {
      int best = 0;
      for (int k = 1; k < p[i].length; k++) {
        if (p[i][k] > p[i][best]) {
          best = k;
        }
      }
      if (best == labels[i]) {
        right++;
      }
    }
    return labels.length == 0 ? 0 : right / (double) labels.length;
  }

  static double crossEntropy(INDArray probabilities, int[] labels) {
    float[][] p = probabilities.toFloatMatrix();
    double sum = 0;
    for (int i = 0; i < labels.length; i++) {
      sum -= Math.log(Math.max(1e-12, p[i][labels[i]]));
    }
    return labels.length == 0 ? 0 : sum / labels.length;
  }
}
