package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.LearningRateSchedule;
import dev.kiln.maven.engine.Dl4jSetup;
import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.FixedSchedule;

/**
 * The learning-rate range test on a tiny synthetic problem (two Gaussian blobs, a small dense
 * "block" under a softmax head): the rate it picks lies below the rate at which the loss
 * diverged and trains the problem; discriminative rates reach the layers they name.
 */
class LearningRateRangeTestTest {

  static final int N = 256;
  static final int DIMS = 8;

  static ComputationGraph graph() {
    Dl4jSetup.init();
    ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3)
        .dataType(DataType.FLOAT).updater(new Adam(1e-3)).weightInit(WeightInit.XAVIER)
        .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(DIMS))
        .addLayer("block", new DenseLayer.Builder().nIn(DIMS).nOut(16)
            .activation(Activation.IDENTITY).build(), "in")
        .addLayer(Backbone.HEAD, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
            .nIn(16).nOut(2).activation(Activation.SOFTMAX).build(), "block")
        .setOutputs(Backbone.HEAD).build());
    g.init();
    return g;
  }

  /**
   * Two blobs overlapping along one of the dimensions (a quarter of the photos on the wrong
   * side): no rate makes the loss 0, too high a rate makes it explode.
   */
  static ArrayInputs blobs() {
    Random r = new Random(11);
    float[][] x = new float[N][DIMS];
    int[] y = new int[N];
    for (int i = 0; i < N; i++) {
      y[i] = i % 2;
      for (int d = 0; d < DIMS; d++) {
        x[i][d] = (float) (r.nextGaussian() + (d > 0 ? 0 : y[i] == 1 ? 0.7 : -0.7));
      }
    }
    return new ArrayInputs(Nd4j.create(x), null, y);
  }

  static FitSettings settings() {
    return new FitSettings(1, 16, 1e-3, LearningRateSchedule.CONSTANT, 0, 0, 1, 0, 0, 5, null);
  }

  static double loss(ComputationGraph g, ArrayInputs data) {
    return Metrics.crossEntropy(g.outputSingle(false, data.all()), data.labels());
  }

  @Test
  void thePickedRateIsBelowTheDivergencePointAndTrains() {
    ArrayInputs data = blobs();
    ComputationGraph g = graph();
    double before = loss(g, data);
    LearningRateRangeTest test = new LearningRateRangeTest(1e-6, 100, 100, 4);
    LearningRateRangeTest.Result r = test.run(g.clone(), data, 2, 10, settings());
    System.out.println(r.line());
    assertTrue(r.diverged() > 0, "up to a rate of 100 the loss diverges: " + r.line());
    assertTrue(r.turn() > 0 && r.turn() <= r.diverged(), "the loss turned up before it"
        + " diverged: " + r.line());
    assertTrue(r.suggested() <= r.divergedAt() / 10, r.line());
    assertTrue(r.suggested() > 1e-6, "above the start: " + r.line());
    assertEquals(r.rates()[r.turn()] / 10, r.suggested(), 1e-12, "a decade below the turn");
    for (int i = 1; i < r.rates().length; i++) {
      assertTrue(r.rates()[i] > r.rates()[i - 1], "the rate grows every step");
    }
    assertEquals(before, loss(g, data), 1e-9, "the test ran on a copy");
    // the rate it picked trains the problem: 3 epochs at it lower the loss
    LayerRates.discriminative(r.suggested(), 10).applyTo(g, FixedSchedule::new);
    for (int epoch = 0; epoch < 3; epoch++) {
      for (int from = 0; from < N; from += 16) {
        int[] idx = java.util.stream.IntStream.range(from, from + 16).toArray();
        g.fit(new org.nd4j.linalg.dataset.DataSet(data.batch(idx, 1),
            Metrics.oneHot(idx.length == 0 ? new int[0] : java.util.Arrays.stream(idx)
                .map(i -> data.labels()[i]).toArray(), 2)));
      }
    }
    assertTrue(loss(g, data) < before, "trained at the picked rate: " + loss(g, data)
        + " from " + before);
  }

  @Test
  void aLossThatRisesAtOncePicksNothingAndDiscriminativeRatesReachTheirLayers() {
    ArrayInputs data = blobs();
    // from rates far too high, the loss rises at once: no rate to pick (or one far below them)
    LearningRateRangeTest.Result high = new LearningRateRangeTest(10, 1e4, 20, 4)
        .run(graph(), data, 2, 10, settings());
    assertTrue(Double.isNaN(high.suggested()) || high.suggested() >= 1, high.line());
    ComputationGraph g = graph();
    LayerRates.discriminative(0.01, 10).applyTo(g, FixedSchedule::new);
    assertEquals(0.01, g.getLearningRate(Backbone.HEAD), 1e-12);
    assertEquals(0.001, g.getLearningRate("block"), 1e-12);
    INDArray blockBefore = g.getLayer("block").params().dup();
    INDArray headBefore = g.getLayer(Backbone.HEAD).params().dup();
    int[] idx = java.util.stream.IntStream.range(0, 32).toArray();
    g.fit(new org.nd4j.linalg.dataset.DataSet(data.batch(idx, 1), Metrics.oneHot(
        java.util.Arrays.stream(idx).map(i -> data.labels()[i]).toArray(), 2)));
    // Adam's first step moves each weight by about its rate: the block about a tenth as far
    double block = g.getLayer("block").params().sub(blockBefore).amaxNumber().doubleValue();
    double head = g.getLayer(Backbone.HEAD).params().sub(headBefore).amaxNumber().doubleValue();
    assertEquals(0.001, block, 0.0003, "the block moves at its rate");
    assertEquals(0.01, head, 0.003, "the head moves at its rate");
  }
}
