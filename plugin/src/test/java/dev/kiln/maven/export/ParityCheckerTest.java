package dev.kiln.maven.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.maven.backbone.Backbone;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/** The parity diagnosis names every vertex kind, layers and layer-less vertices alike. */
class ParityCheckerTest {

  @Test
  void namesLayerlessVertices() {
    var b = new NeuralNetConfiguration.Builder().graphBuilder().addInputs(Backbone.INPUT)
        .setInputTypes(InputType.feedForward(4))
        .addLayer("a", new ActivationLayer.Builder().activation(Activation.RELU).build(),
            Backbone.INPUT)
        .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "a", Backbone.INPUT)
        .addVertex("concat", new MergeVertex(), "add", "a")
        .setOutputs("concat");
    ComputationGraph g = new ComputationGraph(b.build());
    g.init();
    assertEquals("ActivationLayer", ParityChecker.kind(g.getVertex("a")));
    assertEquals("ElementWiseVertex", ParityChecker.kind(g.getVertex("add")));
    assertEquals("MergeVertex", ParityChecker.kind(g.getVertex("concat")));
  }
}
