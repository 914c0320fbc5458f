package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.OnnxArchitecture;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import java.util.List;

/**
 * Every mode rule in one place: which mode runs ({@code auto}'s choice, the ONNX backbones'
 * rule), which settings a mode allows, and the stages each mode is made of:
 *
 * <table>
 *   <caption>Modes as stages</caption>
 *   <tr><th>mode</th><th>stages</th></tr>
 *   <tr><td>feature-extractor</td><td>head (L-BFGS or Adam) on frozen features</td></tr>
 *   <tr><td>fine-tune</td><td>head, then the top blocks at a hundredth of the rate</td></tr>
 *   <tr><td>full</td><td>head, then every layer at a hundredth of the rate</td></tr>
 *   <tr><td>scratch</td><td>the whole network from random weights</td></tr>
 * </table>
 */
final class ModeSelector {

  /** The later stages' learning rate is the head's divided by this (the Keras guide's 1e-5). */
  static final double DEEPER_RATE_DIVISOR = 100;

  private ModeSelector() {}

  /**
   * @param request what to train
   * @return the mode, why, and its stages
   */
  static Plan select(TrainingRequest request) {
    TrainConfiguration c = request.settings();
    Backbone backbone = request.backbone();
    Dataset data = request.dataset();
    Mode mode = c.optimisation().mode();
    String why = null;
    if (dev.kiln.maven.backbone.ParallelBackbones.isParallel(backbone.architecture())) {
      if (mode != Mode.AUTO && mode != Mode.FEATURE_EXTRACTOR) {
        throw new IllegalArgumentException("mode " + mode.id() + " with several backbones: their"
            + " trunks stay frozen side by side; use mode (kiln.mode) feature-extractor or auto,"
            + " or one backbone");
      }
      why = mode == Mode.AUTO ? "several backbones: feature-extractor (their trunks stay frozen"
          + " side by side)" : null;
      mode = Mode.FEATURE_EXTRACTOR;
    } else if (mode == Mode.AUTO && backbone.architecture() instanceof OnnxArchitecture) {
      mode = Mode.FEATURE_EXTRACTOR;
      why = "an ONNX backbone: feature-extractor (fine-tune and full import the graph into DL4J,"
          + " which only some operators allow: ask for them with mode)";
    } else if (mode == Mode.AUTO) {
      AutoMode.Choice choice = AutoMode.choose(data.counts(data.train()));
      mode = choice.mode();
      why = choice.reason();
    }
    FitSettings fit = FitSettings.of(c);
    FitSettings deeper = fit.withLearningRate(fit.learningRate() / DEEPER_RATE_DIVISOR);
    boolean linear = c.head().solver().resolve(backbone.hiddenUnits()) == HeadSolver.LBFGS;
    boolean alone = mode == Mode.FEATURE_EXTRACTOR;
    HeadFit headFit = linear
        ? new LinearHead(c.gates().estimateFolds(), fit.seed(), fit.dropout(),
            alone && !data.explicitSplit(), c.head().testTimeFlip())
        : new AdamHead(fit);
    HeadStage head = new HeadStage(headFit, linear && alone && !data.explicitSplit(),
        linear && alone);
    List<TrainingStage> stages = switch (mode) {
      case FEATURE_EXTRACTOR -> List.of(head);
      case FINE_TUNE -> List.of(head,
          new FineTuneStage(c.optimisation().fineTuneBlocks(), deeper));
      case FULL -> List.of(head, new FullStage(deeper));
      case SCRATCH -> List.of(new ScratchStage(fit));
      case AUTO -> throw new IllegalStateException("auto resolves to another mode");
    };
    return new Plan(mode, why, stages);
  }

  /**
   * The settings a mode allows, checked when a request is made.
   *
   * @throws IllegalArgumentException naming the setting that the mode does not allow
   */
  static void check(Backbone backbone, TrainConfiguration settings) {
    String featureLayer = settings.backbone().featureLayer();
    Mode mode = settings.optimisation().mode();
    if (mode != Mode.FEATURE_EXTRACTOR) {
      require(featureLayer == null, "featureLayer cannot be combined with mode " + mode.id()
          + ": only feature-extractor cuts the backbone (fine-tune sets where the frozen part"
          + " ends with fineTuneBlocks)");
    }
    int blocks = settings.optimisation().fineTuneBlocks();
    if (mode == Mode.FINE_TUNE
        || mode == Mode.AUTO && backbone.architecture().trainableUnits() > 0) {
      require(blocks >= 1 && blocks <= backbone.architecture().trainableUnits(),
          "fineTuneBlocks must be between 1 and " + backbone.architecture().trainableUnits()
              + ", was " + blocks);
    }
    int depths = settings.backbone().featureDepths();
    if (depths > 1) {
      require(mode == Mode.FEATURE_EXTRACTOR, "featureDepths " + depths + " works with mode"
          + " feature-extractor only (the other modes train the top blocks themselves)");
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
