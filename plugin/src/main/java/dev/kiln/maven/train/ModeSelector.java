package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.OnnxArchitecture;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.maven.text.Count;
import java.util.Arrays;
import java.util.List;

/**
 * Every mode rule in one place: which mode runs ({@code auto}'s choice, the ONNX backbones'
 * rule), which settings a mode allows, and the stages each mode is made of:
 *
 * <table>
 *   <caption>Modes as stages</caption>
 *   <tr><th>mode</th><th>stages</th></tr>
 *   <tr><td>feature-extractor</td><td>head (L-BFGS or Adam) on frozen features</td></tr>
 *   <tr><td>fine-tune</td><td>head, then the top blocks on photos augmented afresh each epoch,
 *       at rates a range test finds (the blocks at a tenth of the head's)</td></tr>
 *   <tr><td>full</td><td>head, then every layer at a hundredth of the rate</td></tr>
 *   <tr><td>scratch</td><td>the whole network from random weights</td></tr>
 *   <tr><td>auto</td><td>a search among frozen-extractor candidates (L-BFGS head), else the
 *   head alone</td></tr>
 * </table>
 */
final class ModeSelector {

  /** The later stages' learning rate is the head's divided by this (the Keras guide's 1e-5). */
  static final double DEEPER_RATE_DIVISOR = 100;
  /** Fine-tuning's pretrained blocks learn at the head's rate divided by this (fastai's). */
  static final double BLOCK_RATE_DIVISOR = 10;
  /**
   * Fine-tuning stops after this many epochs without a real improvement of the held-out loss
   * (or the configured patience, when lower): each epoch re-runs the frozen part on new variants.
   */
  static final int FINE_TUNE_PATIENCE = 3;

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
    }
    FitSettings fit = FitSettings.of(c);
    FitSettings deeper = fit.withLearningRate(fit.learningRate() / DEEPER_RATE_DIVISOR);
    boolean linear = c.head().solver().resolve(backbone.hiddenUnits()) == HeadSolver.LBFGS;
    if (mode == Mode.AUTO) {
      String size = Count.of(data.train().size(), "training photo") + ", "
          + Arrays.stream(data.counts(data.train())).min().orElse(0) + " on the smallest label";
      if (linear) {
        // measure instead of guessing (fine-tune is not measured by the search yet: its cost and
        // its accuracy against the frozen extractor are in docs/benchmarks.md, issue 22 item 3)
        SearchStage stage = searchStage(request, fit);
        if (stage.candidates().size() > 1) {
          return new Plan(Mode.FEATURE_EXTRACTOR, size + ": measured: "
              + stage.candidates().size() + " frozen-extractor candidates scored on one"
              + " protocol within maxTrainingTime "
              + c.optimisation().maxTrainingTime().toSeconds() + " s, the best kept (fine-tune,"
              + " full and scratch are not among them: this search does not measure them;"
              + " measured by hand on photos kept out of the build, fine-tune did not beat the"
              + " frozen extractor beyond the noise, at many times the time; ask for them with"
              + " mode)", List.of(stage));
        }
        why = size + ": feature-extractor (the only candidate these settings allow)";
      } else {
        why = size + ": feature-extractor (an Adam head is not measured against other"
            + " candidates: headSolver lbfgs, the default without hiddenUnits, lets auto try"
            + " them; fine-tune lost to the frozen extractor on every labelled set measured)";
      }
      mode = Mode.FEATURE_EXTRACTOR;
    }
    boolean alone = mode == Mode.FEATURE_EXTRACTOR;
    HeadFit headFit = linear
        ? new LinearHead(c.gates().estimateFolds(), fit.seed(), fit.dropout(),
            alone && !data.explicitSplit() ? LinearHeadSelection.Scoring.NESTED
                : LinearHeadSelection.Scoring.NONE, c.head().testTimeFlip())
        : new AdamHead(fit);
    HeadStage head = new HeadStage(headFit, linear && alone && !data.explicitSplit(),
        linear && alone);
    List<TrainingStage> stages = switch (mode) {
      case FEATURE_EXTRACTOR -> List.of(head);
      case FINE_TUNE -> List.of(head, fineTune(c, fit));
      case FULL -> List.of(head, new FullStage(deeper));
      case SCRATCH -> List.of(new ScratchStage(fit));
      case AUTO -> throw new IllegalStateException("auto resolves to another mode");
    };
    return new Plan(mode, why, stages);
  }

  /**
   * Mode fine-tune's stage: the photos augmented afresh each epoch (cached maps when the
   * augmentation is {@code none}), the head's rate found by a range test and the blocks at a
   * tenth of it, stopped on the held-out loss after {@link #FINE_TUNE_PATIENCE} epochs without
   * a real improvement.
   */
  static FineTuneStage fineTune(TrainConfiguration c, FitSettings fit) {
    boolean augments = !c.optimisation().augmentation().equals(
        dev.kiln.runtime.internal.Augmentation.parse("none"));
    return new FineTuneStage(c.optimisation().fineTuneBlocks(),
        fit.withPatience(Math.min(fit.patience(), FINE_TUNE_PATIENCE)),
        augments ? new FineTuneExamples.Fresh() : new FineTuneExamples.Cached(),
        new FineTuneRates.RangeTested(LearningRateRangeTest.STANDARD, BLOCK_RATE_DIVISOR,
            fit.learningRate() / DEEPER_RATE_DIVISOR));
  }

  /**
   * auto's candidates, cheapest first: the frozen extractor as configured, with test-time flip,
   * with the pooled features of two depths concatenated (where the backbone allows), both.
   */
  private static SearchStage searchStage(TrainingRequest request, FitSettings fit) {
    TrainConfiguration c = request.settings();
    Backbone backbone = request.backbone();
    boolean explicit = request.dataset().explicitSplit();
    List<SearchStage.Candidate> candidates = new java.util.ArrayList<>();
    String id = backbone.architecture().id();
    boolean flipped = c.head().testTimeFlip();
    int depths = backbone.featureDepths();
    List<int[]> variants = List.of(new int[] {depths, 0}, new int[] {depths, 1},
        new int[] {2, 0}, new int[] {2, 1});
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int[] v : variants) {
      boolean flip = flipped || v[1] == 1;
      int d = v[0];
      if (!seen.add(d + "/" + flip) || !allowsDepths(backbone, c, d)) {
        continue;
      }
      candidates.add(candidate(id + (d == 1 ? "" : ", " + d + " depths"),
          backbone.withFeatureDepths(d), c, fit, d, flip, explicit));
    }
    // the other backbones, frozen as configured and flipped, right after the backbone's own two
    List<SearchStage.Candidate> others = new java.util.ArrayList<>();
    for (Backbone alt : request.alternatives()) {
      for (boolean flip : flipped ? new boolean[] {true} : new boolean[] {false, true}) {
        String name = alt.architecture().id().equals(id) ? alt.architecture().id() + " ("
            + java.nio.file.Path.of(alt.source()).getFileName() + ")" : alt.architecture().id();
        others.add(candidate(name, alt, c, fit, 1, flip, explicit));
      }
    }
    candidates.addAll(Math.min(candidates.size(), flipped ? 1 : 2), others);
    // last, the costliest: every backbone's features side by side (one model, parallel trunks)
    List<Backbone> trunks = new java.util.ArrayList<>(List.of(backbone));
    request.alternatives().stream().filter(a -> a.inputSize() == backbone.inputSize()
        && !(a.architecture() instanceof OnnxArchitecture)).forEach(trunks::add);
    if (trunks.size() > 1 && !(backbone.architecture() instanceof OnnxArchitecture)
        && c.backbone().featureLayer() == null && backbone.featureDepths() == 1) {
      Backbone together = dev.kiln.maven.backbone.ParallelBackbones.combine(trunks,
          c.backbone().resize());
      candidates.add(candidate(String.join("+", trunks.stream()
          .map(t -> t.architecture().id()).toList()), together, c, fit, 1, flipped, explicit));
    }
    return new SearchStage(candidates, c.optimisation().maxTrainingTime(), explicit);
  }

  /**
   * @return a frozen-extractor candidate: the L-BFGS head with the nested estimate on {@code
   *     backbone} at these depths and flip, learning from every photo without a val/ folder;
   *     with one (which measures the winner), plain k-fold's out-of-fold predictions compare the
   *     candidates, a third of the fits
   */
  private static SearchStage.Candidate candidate(String name, Backbone backbone,
      TrainConfiguration c, FitSettings fit, int depths, boolean flip, boolean explicit) {
    return new SearchStage.Candidate(name + (flip ? " + flip" : ""), backbone,
        variant(c, depths, flip), new HeadStage(new LinearHead(c.gates().estimateFolds(),
            fit.seed(), fit.dropout(), explicit ? LinearHeadSelection.Scoring.OUT_OF_FOLD
                : LinearHeadSelection.Scoring.NESTED, flip), !explicit, true));
  }

  private static boolean allowsDepths(Backbone backbone, TrainConfiguration c, int depths) {
    if (depths == backbone.featureDepths()) {
      return true;
    }
    if (backbone.architecture() instanceof OnnxArchitecture) {
      return false;
    }
    try {
      String cut = c.backbone().featureLayer() == null
          ? backbone.architecture().lastFeatureLayer() : c.backbone().featureLayer();
      backbone.architecture().depthsEndingAt(cut, depths);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** @return the settings of a frozen-extractor candidate with these depths and flip */
  private static TrainConfiguration variant(TrainConfiguration c, int depths, boolean flip) {
    TrainConfiguration.Backbone b = c.backbone();
    TrainConfiguration.Head h = c.head();
    TrainConfiguration.Optimisation o = c.optimisation();
    return new TrainConfiguration(c.data(), new TrainConfiguration.Backbone(b.source(),
        b.download(), b.family(), b.preprocessing(), b.inputSize(), b.featureLayer(), depths,
        b.pooling(), b.resize(), b.alternatives()), new TrainConfiguration.Head(h.solver(), h.hiddenUnits(),
        h.dropout(), h.labelSmoothing(), h.balanceClasses(), flip),
        new TrainConfiguration.Optimisation(Mode.FEATURE_EXTRACTOR, o.fineTuneBlocks(),
            o.epochs(), o.batchSize(), o.learningRate(), o.schedule(), o.weightDecay(),
            o.patience(), o.augmentedCopies(), o.augmentation(), o.seed(),
            o.maxTrainingTime()), c.gates(), c.export(), c.outputs(), c.run());
  }

  /**
   * The settings a mode allows, checked when a request is made.
   *
   * @throws IllegalArgumentException naming the setting that the mode does not allow
   */
  static void check(Backbone backbone, TrainConfiguration settings, List<Backbone> alternatives) {
    if (!alternatives.isEmpty()) {
      require(settings.optimisation().mode() == Mode.AUTO, "backbones lists candidates for mode"
          + " auto, which measures them; set mode auto (kiln.mode) or leave backbones out");
    }
    String featureLayer = settings.backbone().featureLayer();
    Mode mode = settings.optimisation().mode();
    if (mode != Mode.FEATURE_EXTRACTOR && mode != Mode.AUTO) {
      require(featureLayer == null, "featureLayer cannot be combined with mode " + mode.id()
          + ": only feature-extractor cuts the backbone (fine-tune sets where the frozen part"
          + " ends with fineTuneBlocks)");
    }
    int blocks = settings.optimisation().fineTuneBlocks();
    if (mode == Mode.FINE_TUNE) {
      require(blocks >= 1 && blocks <= backbone.architecture().trainableUnits(),
          "fineTuneBlocks must be between 1 and " + backbone.architecture().trainableUnits()
              + ", was " + blocks);
    }
    int depths = settings.backbone().featureDepths();
    if (depths > 1) {
      require(mode == Mode.FEATURE_EXTRACTOR || mode == Mode.AUTO, "featureDepths " + depths
          + " works with mode feature-extractor (or auto, which then tries frozen extractors)"
          + " only: the other modes train the top blocks themselves");
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
