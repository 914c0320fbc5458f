package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.TestData;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.runtime.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * mode auto measures: candidates on one protocol, a leaderboard, the winner shipped with its own
 * settings, and an estimate no selection decision used.
 */
class AutoSearchTest {

  static final class Lines implements ProgressListener {
    final List<String> lines = new ArrayList<>();

    @Override
    public void phase(String name, String detail) {
      lines.add("[" + name + "] " + detail);
    }

    @Override
    public void epoch(EpochStats stats) {}
  }

  @Test
  void withoutValTheCandidatesAreScoredOnTheSameFoldsAndTheEstimateNestsTheChoice()
      throws Exception {
    Dataset noVal = DatasetScanner.scan(new DatasetScanner.Request(Fixtures.hymenoptera()
        .resolve("train"), List.of(), List.of(), 0.2, 42));
    Backbone backbone = TestData.mobilenet(128);
    Lines log = new Lines();
    TrainingResult r = Trainer.train(TrainingRequest.builder(noVal, backbone)
        .settings(s -> s.mode(Mode.AUTO).estimateFolds(3)).build(), log);
    log.lines.forEach(System.out::println);
    List<TrainingResult.Candidate> board = r.candidates();
    assertEquals(4, board.size(), "as configured, + flip, 2 depths, 2 depths + flip");
    assertEquals(1, board.stream().filter(TrainingResult.Candidate::chosen).count());
    assertTrue(board.stream().allMatch(c -> c.photos() == 245), "one protocol: the same photos");
    TrainingResult.Candidate chosen = board.stream().filter(TrainingResult.Candidate::chosen)
        .findFirst().orElseThrow();
    var facts = r.metadata().training();
    assertEquals(chosen.name().contains("flip"), "true".equals(facts.get("test_time_flip")),
        "the winner ships with its own settings: " + chosen.name() + " " + facts);
    assertEquals(chosen.name().contains("2 depths"), facts.containsKey("feature_depths"));
    assertTrue(r.estimate().method().contains("auto's choice among 4 candidates repeated"
        + " inside it"), r.estimate().method());
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE), "parity " + r.parity());
    assertTrue(log.lines.stream().anyMatch(l -> l.startsWith("[leaderboard] ")
        && l.contains("<- chosen")), String.join("\n", log.lines));
    assertEquals("feature-extractor", facts.get("mode"));
  }

  @Test
  void theTimeBudgetStopsTheSearchAndValMeasuresTheWinner() throws Exception {
    Dataset split = TestData.hymenoptera();
    TrainingResult r = Trainer.train(TrainingRequest.builder(split, TestData.mobilenet(128))
        .settings(s -> s.mode(Mode.AUTO).maxTrainingTime("1s")).build(),
        ProgressListener.NONE);
    List<TrainingResult.Candidate> board = r.candidates();
    assertTrue(board.get(0).chosen(), "only the first ran");
    assertTrue(board.subList(1, board.size()).stream().allMatch(c -> Double.isNaN(c.accuracy())
        && c.note().equals("maxTrainingTime spent")), board.toString());
    assertTrue(r.estimate().method().contains("val/ folder"), r.estimate().method());
    assertEquals(split.validation().size(), r.estimate().photos());
  }

  @Test
  void otherBackbonesAreCandidatesOnTheSameProtocolAndOnlyAutoTakesThem() throws Exception {
    Dataset split = TestData.hymenoptera();
    Backbone v2 = dev.kiln.maven.backbone.BackboneResolver.resolve(Fixtures.root().resolve(
        "backbones/mobilenet_v2_0.5_224_keras/"
            + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5"), 128);
    Lines log = new Lines();
    TrainingResult r = Trainer.train(TrainingRequest.builder(split, TestData.mobilenet(128))
        .settings(s -> s.mode(Mode.AUTO).maxTrainingTime("10m")).alternatives(List.of(v2))
        .build(), log);
    log.lines.stream().filter(l -> l.startsWith("[leaderboard]")).forEach(System.out::println);
    List<String> names = r.candidates().stream().map(TrainingResult.Candidate::name).toList();
    assertEquals(7, names.size(), names.toString());
    assertEquals("mobilenet_v1_0.25+mobilenet_v2_0.5", names.get(6), "both side by side, last");
    assertTrue(names.get(2).equals("mobilenet_v2_0.5"), "right after the backbone's own"
        + " two: " + names);
    assertTrue(r.candidates().stream().allMatch(c -> c.photos() == 245), "the same photos");
    TrainingResult.Candidate chosen = r.candidates().stream()
        .filter(TrainingResult.Candidate::chosen).findFirst().orElseThrow();
    String shipped = chosen.name().contains("+mobilenet") ? "multi:"
        : chosen.name().startsWith("mobilenet_v2") ? "mobilenet_v2_0.5" : "mobilenet_v1_0.25";
    assertTrue(r.metadata().training().get("backbone").startsWith(shipped),
        chosen + " " + r.metadata().training());
    assertEquals(split.validation().size(), r.estimate().photos(), "val/ measures the winner");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> TrainingRequest.builder(split,
            TestData.mobilenet(128)).settings(s -> s.mode(Mode.FEATURE_EXTRACTOR))
            .alternatives(List.of(v2)).build());
    assertTrue(e.getMessage().startsWith("backbones lists candidates for mode auto"),
        e.getMessage());
  }
}
