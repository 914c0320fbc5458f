package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.config.LearningRateSchedule;
import dev.kiln.maven.engine.Dl4jSetup;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The fit loop and its listeners on a head over tiny synthetic features. */
class FitLoopTest {

  static {
    Dl4jSetup.init();
  }

  static FitSettings config(int epochs, int patience, double smoothing) {
    return new FitSettings(epochs, 8, 1e-2, LearningRateSchedule.CONSTANT, 0, 0, patience,
        smoothing, 0, 5, null);
  }

  static ComputationGraph head(int features, FitSettings s, double[] weights) {
    return HeadGraph.build(features, 2, s, s.updater(1), weights);
  }

  static FitResult train(float[][] x, int[] y, float[][] vx, int[] vy, FitSettings s,
      ProgressListener listener) {
    return new AdamHead(s).fit(new HeadFit.Data(new FeatureSource.Features(List.of(), x, y),
        null, new FeatureSource.Features(List.of(), vx, vy), 2, null), listener).head();
  }

  @Test
  void balancedWeightsScaleTheLossOfEachLabel() {
    int[] labels = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    double[] w = ClassWeights.balanced(labels, 2);
    assertArrayEquals(new double[] {10 / 18.0, 5.0}, w, 1e-12);

    float[][] x = {{1, 0, 0.5f}, {0, 1, 0.2f}};
    ComputationGraph plain = head(3, config(1, 1, 0), null);
    ComputationGraph weighted = head(3, config(1, 1, 0), w);
    weighted.setParams(plain.params().dup());
    for (int label = 0; label < 2; label++) {
      DataSet onlyThisLabel = new DataSet(Nd4j.create(x),
          Metrics.oneHot(new int[] {label, label}, 2));
      double ratio = weighted.score(onlyThisLabel) / plain.score(onlyThisLabel);
      assertEquals(w[label], ratio, 1e-4, "label " + label + " loss is scaled by its weight");
      // the same weighting applied to an already built graph (modes full and scratch)
      ComputationGraph later = head(3, config(1, 1, 0), null);
      later.setParams(plain.params().dup());
      ClassWeights.weighLoss(later, w);
      assertEquals(w[label], later.score(onlyThisLabel) / plain.score(onlyThisLabel), 1e-4);
    }
  }

  @Test
  void earlyStoppingRestoresTheBestEpoch() {
    // random labels: validation loss gets worse once the head memorises the training set
    Random r = new Random(3);
    float[][] x = new float[40][16];
    int[] y = new int[40];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < 16; j++) {
        x[i][j] = (float) r.nextGaussian();
      }
      y[i] = r.nextInt(2);
    }
    float[][] vx = java.util.Arrays.copyOfRange(x, 0, 20);
    int[] vy = new int[20];
    for (int i = 0; i < 20; i++) {
      vy[i] = r.nextInt(2);
    }
    FitResult result = train(x, y, vx, vy, config(200, 5, 0), ProgressListener.NONE);
    assertTrue(result.bestEpoch() < result.history().size(), "stopped early after the best epoch");
    assertEquals(result.bestEpoch() + 5, result.history().size(), "patience 5");
    double restored = Metrics.crossEntropy(result.graph().outputSingle(false, Nd4j.create(vx)), vy);
    assertEquals(result.history().get(result.bestEpoch() - 1).valLoss(), restored, 1e-6,
        "the returned head is the best epoch's");
  }

  @Test
  void labelSmoothingKeepsPredictionsLessCertain() {
    float[][] x = {{3, 0}, {0, 3}, {2.5f, 0.1f}, {0.2f, 2.8f}};
    int[] y = {0, 1, 0, 1};
    double plain = maxProbability(train(x, y, x, y, config(150, 200, 0), ProgressListener.NONE), x);
    double smooth = maxProbability(train(x, y, x, y, config(150, 200, 0.3), ProgressListener.NONE), x);
    assertTrue(smooth < plain, "smoothed " + smooth + " vs plain " + plain);
    assertTrue(smooth < 0.9, "ε = 0.3 caps the target at 0.85: " + smooth);
  }

  static double maxProbability(FitResult r, float[][] x) {
    return r.graph().outputSingle(false, Nd4j.create(x)).maxNumber().doubleValue();
  }

  @Test
  void listenersStopTheLoopAndTheKeptEpochIsTheBestOfThoseThatRan() {
    float[][] x = {{3, 0}, {0, 3}, {2.5f, 0.1f}, {0.2f, 2.8f}};
    int[] y = {0, 1, 0, 1};
    FitSettings s = config(50, 50, 0).withTimeLimit(java.time.Duration.ofMillis(1));
    ComputationGraph g = head(2, s, null);
    List<String> order = new java.util.ArrayList<>();
    EpochListener spy = new EpochListener() {
      @Override
      public void started(FitState state) {
        order.add("started");
      }

      @Override
      public void epochEnded(FitState state, EpochStats stats) {
        order.add("epoch " + stats.epoch());
      }

      @Override
      public void finished(FitState state) {
        order.add("finished: " + state.stopReason());
      }
    };
    List<EpochListener> listeners = new java.util.ArrayList<>(FitLoop.standard(s, false,
        ProgressListener.NONE));
    listeners.add(spy);
    FitResult r = FitLoop.fit(g, new ArrayInputs(Nd4j.create(x), null, y),
        new ArrayInputs(Nd4j.create(x), null, y), 2, s, listeners);
    assertEquals(List.of("started", "epoch 1", "finished: time limit"), order,
        "the time limit stops before an epoch that would end past it");
    assertEquals(1, r.history().size());
    assertEquals(1, r.bestEpoch());
  }
}
