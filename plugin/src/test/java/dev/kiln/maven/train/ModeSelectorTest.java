package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.TestData;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.runtime.Fixtures;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The mode rules as data: each mode's stages and their settings, without training anything. */
class ModeSelectorTest {

  static Dataset split;
  static Dataset noVal;
  static Backbone backbone;

  @BeforeAll
  static void load() throws Exception {
    split = TestData.hymenoptera();
    noVal = DatasetScanner.scan(new DatasetScanner.Request(Fixtures.hymenoptera()
        .resolve("train"), List.of(), List.of(), 0.2, 42));
    backbone = TestData.mobilenet(128);
  }

  static Plan plan(Dataset data,
      Consumer<dev.kiln.maven.config.TrainConfiguration.Builder> settings) {
    return ModeSelector.select(TrainingRequest.builder(data, backbone).settings(settings)
        .build());
  }

  @Test
  void eachModeIsItsStages() {
    Plan fe = plan(split, s -> s.mode(Mode.FEATURE_EXTRACTOR));
    assertEquals(Mode.FEATURE_EXTRACTOR, fe.mode());
    assertNull(fe.reason(), "the user chose");
    HeadStage head = assertInstanceOf(HeadStage.class, fe.stages().get(0));
    assertEquals(1, fe.stages().size());
    assertInstanceOf(LinearHead.class, head.fit());

    Plan ft = plan(split, s -> s.mode(Mode.FINE_TUNE).fineTuneBlocks(3).learningRate(0.002));
    assertEquals(List.of(HeadStage.class, FineTuneStage.class),
        ft.stages().stream().map(Object::getClass).toList());
    FineTuneStage tune = (FineTuneStage) ft.stages().get(1);
    assertEquals(3, tune.blocks());
    FineTuneRates.RangeTested rates = assertInstanceOf(FineTuneRates.RangeTested.class,
        tune.rates(), "the rate is found, not fixed");
    assertEquals(10, rates.blockDivisor(), "the blocks at a tenth of the head's rate");
    assertEquals(0.002 / 100, rates.fallback(), 1e-15, "a hundredth when the test finds none");
    assertInstanceOf(FineTuneExamples.Fresh.class, tune.examples(), "augmented afresh");
    assertEquals(3, tune.settings().patience(), "stops after 3 epochs without improvement");
    FineTuneStage plain = (FineTuneStage) plan(split, s -> s.mode(Mode.FINE_TUNE)
        .augmentation("none")).stages().get(1);
    assertInstanceOf(FineTuneExamples.Cached.class, plain.examples(), "nothing to draw afresh");

    Plan full = plan(split, s -> s.mode(Mode.FULL));
    assertEquals(List.of(HeadStage.class, FullStage.class),
        full.stages().stream().map(Object::getClass).toList());

    Plan scratch = plan(split, s -> s.mode(Mode.SCRATCH).learningRate(0.01));
    ScratchStage only = assertInstanceOf(ScratchStage.class, scratch.stages().get(0));
    assertEquals(0.01, only.settings().learningRate(), "scratch trains at the full rate");
  }

  @Test
  void theLinearHeadLearnsFromEveryPhotoOnlyWhenItIsTheWholeModelAndThereIsNoValFolder() {
    HeadStage alone = (HeadStage) plan(noVal, s -> s.mode(Mode.FEATURE_EXTRACTOR)).stages()
        .get(0);
    assertTrue(alone.everyPhoto());
    assertEquals(LinearHeadSelection.Scoring.NESTED, ((LinearHead) alone.fit()).scoring(),
        "nested cross-validation estimate");
    HeadStage withVal = (HeadStage) plan(split, s -> s.mode(Mode.FEATURE_EXTRACTOR)).stages()
        .get(0);
    assertFalse(withVal.everyPhoto());
    assertTrue(withVal.validationHeldOut(), "val/ measures the estimate, untouched");
    assertEquals(LinearHeadSelection.Scoring.NONE, ((LinearHead) withVal.fit()).scoring());
    HeadStage beforeFineTune = (HeadStage) plan(noVal, s -> s.mode(Mode.FINE_TUNE))
        .stages().get(0);
    assertFalse(beforeFineTune.everyPhoto());
    assertFalse(beforeFineTune.validationHeldOut(), "halves: one chooses the epoch");
    HeadStage adam = (HeadStage) plan(noVal, s -> s.headSolver("adam").epochs(7)).stages()
        .get(0);
    assertEquals(7, assertInstanceOf(AdamHead.class, adam.fit()).settings().epochs());
  }

  @Test
  void autoIsTheDefaultSaysWhyAndOnlyModesThatAllowASettingAcceptIt() {
    Plan auto = plan(split, s -> {});
    assertEquals(Mode.FEATURE_EXTRACTOR, auto.mode());
    assertTrue(auto.reason().startsWith("245 training photos, 121 on the smallest label:"
        + " measured"), auto.reason());
    SearchStage search = assertInstanceOf(SearchStage.class, auto.stages().get(0));
    assertEquals(List.of("mobilenet_v1_0.25", "mobilenet_v1_0.25 + flip",
        "mobilenet_v1_0.25, 2 depths", "mobilenet_v1_0.25, 2 depths + flip"),
        search.candidates().stream().map(SearchStage.Candidate::name).toList(), "cheapest first");
    // val/ measures the winner: the candidates compare by plain k-fold's out-of-fold predictions
    for (SearchStage.Candidate c : search.candidates()) {
      assertEquals(LinearHeadSelection.Scoring.OUT_OF_FOLD,
          ((LinearHead) ((HeadStage) c.stage()).fit()).scoring(), c.name());
    }
    for (SearchStage.Candidate c : ((SearchStage) plan(noVal, s -> {}).stages().get(0))
        .candidates()) {
      assertEquals(LinearHeadSelection.Scoring.NESTED,
          ((LinearHead) ((HeadStage) c.stage()).fit()).scoring(), c.name());
    }
    Plan adam = plan(split, s -> s.mode(Mode.AUTO).headSolver("adam"));
    assertInstanceOf(HeadStage.class, adam.stages().get(0), "no search for an Adam head");
    assertEquals(1, adam.stages().size(), "and no deeper stage, whatever the photo count");
    assertTrue(adam.reason().contains("an Adam head is not measured"), adam.reason());
    Plan cut = plan(split, s -> s.featureLayer("conv_pw_11_relu"));
    assertEquals(List.of("mobilenet_v1_0.25", "mobilenet_v1_0.25 + flip",
        "mobilenet_v1_0.25, 2 depths", "mobilenet_v1_0.25, 2 depths + flip"),
        ((SearchStage) cut.stages().get(0)).candidates().stream()
            .map(SearchStage.Candidate::name).toList(), "auto searches at the user's cut");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> plan(split, s -> s.mode(Mode.FULL).featureLayer("conv_pw_11_relu")));
    assertTrue(e.getMessage().startsWith("featureLayer cannot be combined with mode full"),
        e.getMessage());
  }
}
