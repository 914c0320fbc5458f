package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The new classification head as a DL4J graph on pooled features: [ReLU dense →] dropout →
 * softmax, layer names {@link Backbone#HIDDEN} and {@link Backbone#HEAD} (the later stages and
 * the export find its layers by name).
 */
final class HeadGraph {

  /** Name of the head's input. */
  static final String FEATURES = "features";

  private HeadGraph() {}

  /**
   * @param features pooled features per example
   * @param classes labels
   * @param s dropout, hidden units, weight decay and seed
   * @param updater the optimiser
   * @param classWeights per-label loss weights, or null
   * @return the initialised graph
   */
  static ComputationGraph build(int features, int classes, FitSettings s, IUpdater updater,
      double[] classWeights) {
    NeuralNetConfiguration.Builder nn = new NeuralNetConfiguration.Builder()
        .seed(s.seed())
        .dataType(DataType.FLOAT)
        .updater(updater)
        .weightInit(WeightInit.XAVIER);
    if (s.weightDecay() > 0) {
      nn.weightDecay(s.weightDecay());
    }
    var b = nn.graphBuilder()
        .addInputs(FEATURES)
        .setInputTypes(InputType.feedForward(features));
    String last = FEATURES;
    int in = features;
    if (s.hiddenUnits() > 0) {
      b.addLayer(Backbone.HIDDEN, new DenseLayer.Builder().nIn(features)
          .nOut(s.hiddenUnits()).activation(Activation.RELU).build(), FEATURES);
      last = Backbone.HIDDEN;
      in = s.hiddenUnits();
    }
    if (s.dropout() > 0) {
      b.addLayer("dropout", new DropoutLayer.Builder(1.0 - s.dropout()).build(), last);
      last = "dropout";
    }
    b.addLayer(Backbone.HEAD,
        new OutputLayer.Builder(ClassWeights.loss(classWeights))
            .nIn(in).nOut(classes).activation(Activation.SOFTMAX).build(), last);
    b.setOutputs(Backbone.HEAD);
    ComputationGraph g = new ComputationGraph(b.build());
    g.init();
    return g;
  }
}
