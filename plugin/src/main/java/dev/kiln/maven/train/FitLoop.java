package dev.kiln.maven.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The one epoch loop of every stage (head, fine-tune, full, scratch), in DJL's shape: epochs of
 * seeded shuffled minibatches, then both sides measured alike, then the {@link EpochListener}s,
 * which keep the best epoch, stop early, report progress or hold a time limit. The loop itself
 * knows none of that.
 */
final class FitLoop {

  private FitLoop() {}

  /**
   * The listeners every stage trains with: the lowest validation loss kept ({@link BestEpoch}),
   * early stopping after {@code patience} epochs without a real improvement ({@link
   * EarlyStopping}), progress to {@code progress}, and the time limit when set.
   *
   * @param startCompetes the parameters before training compete as "epoch 0"
   */
  static List<EpochListener> standard(FitSettings s, boolean startCompetes,
      ProgressListener progress) {
    List<EpochListener> listeners = new ArrayList<>();
    listeners.add(new EpochProgress(progress));
    listeners.add(new BestEpoch(startCompetes));
    listeners.add(new EarlyStopping(s.patience(), startCompetes, progress));
    if (s.timeLimit() != null) {
      listeners.add(new TimeLimit(s.timeLimit(), progress));
    }
    return listeners;
  }

  /**
   * Trains a graph with one input and a softmax output.
   *
   * @param g the graph (trained in place; left with the parameters {@link BestEpoch} kept)
   * @param listeners called after every epoch, in order; one {@link BestEpoch} among them
   * @return the graph, every epoch's metrics and the kept epoch
   */
  static FitResult fit(ComputationGraph g, Inputs train, Inputs val, int classes, FitSettings c,
      List<EpochListener> listeners) {
    int[] trainY = train.labels();
    int[] valY = val.labels();
    INDArray y = Metrics.oneHot(trainY, classes);
    if (c.labelSmoothing() > 0) {
      y.muli(1 - c.labelSmoothing()).addi(c.labelSmoothing() / classes);
    }
    Random random = new Random(c.seed());
    List<EpochStats> history = new ArrayList<>();
    FitState state = new FitState(g, val, c.epochs());
    listeners.forEach(l -> l.started(state));
    state.startClock();
    ReusedArrays targets = new ReusedArrays();
    int[] order = new int[trainY.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    for (int epoch = 1; epoch <= c.epochs() && state.stopReason() == null; epoch++) {
      shuffle(order, random);
      for (int from = 0; from < order.length; from += c.batchSize()) {
        int to = Math.min(order.length, from + c.batchSize());
        int[] idx = java.util.Arrays.copyOfRange(order, from, to);
        g.fit(new DataSet(train.batch(idx, epoch), targets.rows(y, idx)));
      }
      // both sides measured alike: inference mode (no dropout), plain cross-entropy (no label
      // smoothing, class weights or weight decay), after the epoch
      INDArray tp = output(g, train);
      double trainLoss = Metrics.crossEntropy(tp, trainY);
      double trainAcc = Metrics.accuracy(tp, trainY);
      INDArray vp = output(g, val);
      double valLoss = Metrics.crossEntropy(vp, valY);
      double valAcc = Metrics.accuracy(vp, valY);
      long elapsed = state.elapsedMillis();
      long eta = elapsed / epoch * (c.epochs() - epoch);
      EpochStats stats = new EpochStats(epoch, c.epochs(), trainLoss, trainAcc, valLoss, valAcc,
          elapsed, eta);
      history.add(stats);
      for (EpochListener l : listeners) {
        l.epochEnded(state, stats);
      }
    }
    listeners.forEach(l -> l.finished(state));
    BestEpoch best = listeners.stream().filter(BestEpoch.class::isInstance)
        .map(BestEpoch.class::cast).findFirst().orElseThrow(() ->
            new IllegalArgumentException("FitLoop needs a BestEpoch listener"));
    return new FitResult(g, history, best.bestEpoch());
  }

  /** Inference in chunks, so large image inputs never need one huge activation. */
  static INDArray output(ComputationGraph g, Inputs inputs) {
    if (inputs instanceof ArrayInputs a && a.flat()) {
      return g.outputSingle(false, a.all()); // flat rows are small: one call
    }
    List<INDArray> parts = new ArrayList<>();
    for (int from = 0; from < inputs.size(); from += 64) {
      int to = Math.min(inputs.size(), from + 64);
      int[] idx = java.util.stream.IntStream.range(from, to).toArray();
      parts.add(g.outputSingle(false, inputs.batch(idx, 0)));
    }
    return Nd4j.vstack(parts.toArray(INDArray[]::new));
  }

  private static void shuffle(int[] a, Random r) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
