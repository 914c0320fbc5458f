package dev.kiln.maven.train;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A DL4J head trained by Adam epochs on cached features in {@link FitLoop}: [ReLU dense →]
 * dropout → softmax, cross-entropy, seeded shuffling, the best epoch by the selection photos'
 * loss kept, early stopping.
 *
 * @param settings the loop's settings
 */
record AdamHead(FitSettings settings) implements HeadFit {

  @Override
  public Fitted fit(Data d, ProgressListener listener) {
    float[][] x = d.train().rows();
    Nd4j.getRandom().setSeed(settings.seed());
    ComputationGraph head = HeadGraph.build(x[0].length, d.classes(), settings,
        settings.updater(settings.iterations(x.length)), d.classWeights());
    FitResult r = FitLoop.fit(head, new ArrayInputs(Nd4j.create(x), null, d.train().labels()),
        new ArrayInputs(Nd4j.create(d.selection().rows()), null, d.selection().labels()),
        d.classes(), settings, FitLoop.standard(settings, false, listener));
    return new Fitted(r, null);
  }

  @Override
  public boolean usesMirrors() {
    return false;
  }

  @Override
  public String epochsNote() {
    return ", up to " + settings.epochs() + " epochs";
  }
}
