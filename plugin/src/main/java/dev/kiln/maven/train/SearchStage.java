package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.head.AccuracyEstimate;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code auto}'s search: candidate models tried cheapest first while {@code maxTrainingTime}
 * allows, each a {@link HeadStage} with the L-BFGS head in its own {@link TrainingRun#variant},
 * all scored on one protocol — the out-of-fold predictions of the same stratified folds over the
 * same photos (the whole set without a {@code val/} folder, {@code train/} with one) — and the
 * winner chosen by a noise-aware rule ({@link #choose}, Breiman's one-standard-error rule): the
 * cheapest candidate whose shortfall against the best is within one standard error of their
 * paired per-photo difference. The winner's trained head is shipped as it is (nothing is
 * trained twice).
 *
 * <p>The shipped estimate rests on photos no selection decision used: with a {@code val/} folder,
 * the search never sees {@code val/}, which then measures the winner; without one, the choice is
 * repeated for each outer fold on the other folds' photos alone, and each photo is scored by the
 * candidate chosen without it (selection nested inside the estimate).
 *
 * @param candidates the candidates, cheapest first
 * @param budget how long the search may start new candidates
 * @param explicitSplit the photos have a {@code val/} folder
 */
record SearchStage(List<Candidate> candidates, Duration budget, boolean explicitSplit)
    implements TrainingStage {

  /**
   * @param name how the leaderboard calls it
   * @param backbone its backbone (depths)
   * @param settings its settings (test-time flip)
   * @param stage its head stage (the L-BFGS head with the nested estimate)
   */
  record Candidate(String name, Backbone backbone, TrainConfiguration settings,
      HeadStage stage) {
    Candidate {
      Objects.requireNonNull(name, "name");
    }
  }

  SearchStage {
    candidates = List.copyOf(candidates);
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("a search needs a candidate");
    }
  }

  /** What one tried candidate left: its run, what it trained, its per-photo correctness. */
  private record Scored(Candidate candidate, TrainingRun run, Trained trained,
      Map<String, Boolean> correct, Map<String, Integer> fold, double seconds) {}

  @Override
  public Trained run(TrainingRun run, Trained previous)
      throws KilnException, UserProblemException {
    long start = System.nanoTime();
    List<Scored> tried = new ArrayList<>();
    List<String> notTried = new ArrayList<>();
    for (Candidate c : candidates) {
      double elapsed = (System.nanoTime() - start) / 1e9;
      if (!tried.isEmpty() && elapsed > budget.toSeconds()) {
        notTried.add(c.name());
        continue;
      }
      // the first candidate reports its photos (skipped ones, features); the others quietly
      ProgressListener progress = tried.isEmpty() ? run.listener() : quiet(run.listener());
      TrainingRun variant = run.variant(c.backbone(), c.settings(), progress);
      long t0 = System.nanoTime();
      Trained t = c.stage().run(variant, null);
      double seconds = (System.nanoTime() - t0) / 1e9;
      Scored s = score(c, variant, t, seconds);
      tried.add(s);
      run.listener().phase("auto", String.format(Locale.ROOT, "candidate %s: %.1f%% right"
          + " out of fold on %d photos (%.1f s)", c.name(), accuracy(s, s.correct().keySet())
          * 100, s.correct().size(), seconds));
    }
    Set<String> photos = new LinkedHashSet<>(tried.get(0).correct().keySet());
    tried.forEach(s -> photos.retainAll(s.correct().keySet()));
    int winner = choose(tried, photos);
    Scored won = tried.get(winner);
    List<TrainingResult.Candidate> board = leaderboard(tried, notTried, winner, photos);
    board.forEach(b -> run.listener().phase("leaderboard", b.line()));
    LinearHeadSelection.Result s = won.trained().linear().selection();
    LinearHead.Selected head;
    if (explicitSplit) {
      // val/ measures the winner: the search's train/ estimate is not the shipped one
      head = new LinearHead.Selected(new LinearHeadSelection.Result(s.model(), s.lambda(),
          s.folds(), s.curve(), null, null, s.fits(), s.millis()), won.trained().linear()
          .images(), null);
    } else {
      AccuracyEstimate nested = nestedEstimate(tried, photos, s.folds());
      // the evidence for the rule: the same nesting with the plain best out of fold instead
      run.listener().debug(String.format(Locale.ROOT, "[auto] rules nested over %d photos:"
          + " one standard error %d right, best out of fold %d right", photos.size(),
          nestedRight(tried, photos, s.folds(), SearchStage::choose, new ArrayList<>()),
          nestedRight(tried, photos, s.folds(), SearchStage::best, new ArrayList<>())));
      if (won.trained().linear().curve() != null) { // the winner's curve: what the rest adds
        nested = won.trained().linear().curve().gain().widen(nested);
      }
      head = new LinearHead.Selected(s.withEstimate(nested), won.trained().linear().images(),
          won.trained().linear().curve());
    }
    return won.trained().chosen(won.run().reportingTo(run.listener()), head, board);
  }

  private static Scored score(Candidate c, TrainingRun variant, Trained t, double seconds) {
    LinearHeadSelection.OutOfFold oof = t.linear().selection().outOfFold();
    List<LabelledImage> rows = t.linear().images();
    Map<String, Boolean> correct = new HashMap<>();
    Map<String, Integer> fold = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      if (oof.scored(i)) {
        String path = rows.get(i).relativePath();
        correct.put(path, LinearHeadSelection.argMax(oof.probabilities()[i])
            == rows.get(i).label());
        fold.put(path, oof.fold()[i]);
      }
    }
    return new Scored(c, variant, t, correct, fold, seconds);
  }

  /**
   * The noise-aware rule (Breiman's one-standard-error rule, on paired per-photo differences):
   * the cheapest candidate that the best — the one right on most of {@code photos} — does not
   * beat by more than one standard error. The best of many is partly the luckiest; a cheaper
   * candidate within the noise of it is as good a bet and costs less. (A chain of "costlier beats
   * kept by one standard error" steps adopts noise: on the blood cells it kept a test-time flip
   * that lost two photos kept out of the build.)
   *
   * @return the index of the chosen candidate
   */
  static int choose(List<Scored> tried, Set<String> photos) {
    Scored best = tried.get(best(tried, photos));
    for (int c = 0; c < tried.size(); c++) {
      if (!beats(best, tried.get(c), photos)) {
        return c;
      }
    }
    throw new IllegalStateException("the best is within the noise of itself");
  }

  /** @return the index of the candidate right on most photos, the cheapest of equals */
  private static int best(List<Scored> tried, Set<String> photos) {
    int best = 0;
    for (int c = 1; c < tried.size(); c++) {
      if (right(tried.get(c), photos) > right(tried.get(best), photos)) {
        best = c;
      }
    }
    return best;
  }

  /** @return true when {@code a} is right on more photos than {@code b} beyond the noise */
  private static boolean beats(Scored a, Scored b, Set<String> photos) {
    int n = photos.size();
    if (n < 2) {
      return false;
    }
    double sum = 0;
    double sumSq = 0;
    for (String p : photos) {
      double d = (a.correct().get(p) ? 1 : 0) - (b.correct().get(p) ? 1 : 0);
      sum += d;
      sumSq += d * d;
    }
    double mean = sum / n;
    double variance = (sumSq - n * mean * mean) / (n - 1);
    double se = Math.sqrt(Math.max(0, variance) / n);
    return mean > 0 && mean > se;
  }

  /** @return how many of {@code photos} the candidate got right out of fold */
  private static int right(Scored s, Set<String> photos) {
    return (int) photos.stream().filter(p -> s.correct().get(p)).count();
  }

  private static double accuracy(Scored s, Set<String> photos) {
    return right(s, photos) / (double) photos.size();
  }

  /**
   * Selection nested inside the estimate: for each outer fold, the rule chooses on the other
   * folds' photos alone, and that fold's photos are scored by the candidate it chose.
   */
  private static AccuracyEstimate nestedEstimate(List<Scored> tried, Set<String> photos,
      int folds) {
    List<String> chosen = new ArrayList<>();
    int scoredRight = nestedRight(tried, photos, folds, SearchStage::choose, chosen);
    return AccuracyEstimate.exact(scoredRight, photos.size(), String.format(Locale.ROOT,
        "nested %d-fold cross-validation over all %d labelled photos with auto's choice among %d"
            + " candidates repeated inside it: each photo predicted by a head that never saw it,"
            + " of the candidate chosen on the other folds alone (per fold: %s)", folds,
        photos.size(), tried.size(), String.join(", ", chosen)));
  }

  /** A choice rule: the index of the candidate it picks on {@code photos}. */
  private interface Rule {
    int pick(List<Scored> tried, Set<String> photos);
  }

  /** @return how many photos the candidates {@code rule} chose on the other folds got right */
  private static int nestedRight(List<Scored> tried, Set<String> photos, int folds, Rule rule,
      List<String> chosen) {
    Map<String, Integer> fold = tried.get(0).fold();
    int scoredRight = 0;
    for (int f = 0; f < folds; f++) {
      Set<String> others = new LinkedHashSet<>();
      Set<String> inside = new LinkedHashSet<>();
      for (String p : photos) {
        (fold.get(p) == f ? inside : others).add(p);
      }
      Scored pick = tried.get(rule.pick(tried, others));
      chosen.add(pick.candidate().name());
      scoredRight += right(pick, inside);
    }
    return scoredRight;
  }

  private static List<TrainingResult.Candidate> leaderboard(List<Scored> tried,
      List<String> notTried, int winner, Set<String> photos) {
    List<TrainingResult.Candidate> board = new ArrayList<>();
    int top = best(tried, photos);
    for (int i = 0; i < tried.size(); i++) {
      Scored s = tried.get(i);
      AccuracyEstimate a = AccuracyEstimate.exact(right(s, photos), Math.max(1, photos.size()),
          "oof");
      String note = i == winner
          ? (i == top ? "the best, and no cheaper candidate within the noise of it"
              : "the cheapest within one standard error of the best ("
                  + tried.get(top).candidate().name() + ")")
          : i < winner ? "below the best beyond the noise (one standard error)"
              : i == top ? "the best out of fold, but a cheaper candidate is within the noise"
                  : "costlier, and not better beyond the noise";
      board.add(new TrainingResult.Candidate(s.candidate().name(), a.accuracy(), a.low(),
          a.high(), photos.size(), s.seconds(), i == winner, note));
    }
    for (String name : notTried) {
      board.add(new TrainingResult.Candidate(name, Double.NaN, Double.NaN, Double.NaN, 0, 0,
          false, "maxTrainingTime spent"));
    }
    return board;
  }

  private static ProgressListener quiet(ProgressListener to) {
    return new ProgressListener() {
      @Override
      public void phase(String name, String detail) {
        to.debug("[" + name + "] " + detail);
      }

      @Override
      public void epoch(EpochStats stats) {}

      @Override
      public void debug(String message) {
        to.debug(message);
      }
    };
  }
}
