package dev.kiln.maven.goal;

import dev.kiln.maven.changes.BuildRecord;
import dev.kiln.maven.codegen.ClassifierGenerator;
import dev.kiln.maven.codegen.LabelNames;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.ChangedPhotosException;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.report.ReportWriter;
import dev.kiln.maven.train.FeatureCacheLimit;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The {@code train} goal's work, without Maven, as one step per service: {@link TrainInputs}
 * (scan, backbone file, fingerprint), {@link UpToDateCheck} (reuse the kept model when nothing
 * changed and the last outputs agree), {@link ModelTraining} (train), {@link QualityGates}
 * (minAccuracy, maxAccuracyDrop) and {@link TrainOutputs} (the accepted model and all that
 * describes it, or the rejected model's report beside them). A failed gate or run never replaces
 * the previous good model or its report.
 */
public final class TrainGoal {

  /**
   * @param upToDate true when the previous model was reused
   * @param model the model resource written (or kept)
   * @param accuracy the estimated accuracy on new photos
   * @param estimate the estimate as a line (accuracy, interval, photos)
   * @param report the HTML report
   * @param labels labels in model order
   */
  public record Outcome(boolean upToDate, Path model, double accuracy, String estimate,
      Path report, List<String> labels) {
    /** @return the closing log line */
    public String line() {
      return String.format(Locale.ROOT, "%s: estimated accuracy on new photos %s, model %s,"
          + " report %s", upToDate ? "Up to date" : "Trained", estimate, model, report);
    }
  }

  private TrainGoal() {}

  /** @return {@code target/kiln/metrics.json} for a work folder */
  public static Path metricsFile(Path workDir) {
    return workDir.resolve("metrics.json");
  }

  /** @return the file the javadoc summary of the generated class is kept in */
  public static Path summaryFile(Path workDir) {
    return workDir.resolve("summary.txt");
  }

  /**
   * @param c the configuration
   * @param listener progress
   * @return what happened
   * @throws UserProblemException bad data or configuration, or a quality gate failed
   */
  public static Outcome run(TrainConfiguration c, ProgressListener listener)
      throws UserProblemException {
    TrainOutputs outputs = new TrainOutputs(c);
    outputs.removeStale().forEach(p -> listener.debug("removed " + p + ", left by an interrupted"
        + " build"));
    TrainInputs inputs = TrainInputs.resolve(c, listener);
    LabelNames.checkDistinguishable(inputs.dataset().labels());
    Outcome reused = UpToDateCheck.reuse(c, inputs, outputs, listener);
    if (reused != null) {
      return reused;
    }
    TrainingResult result = train(c, inputs, listener);
    BuildRecord record = ChangesSinceLastModel.record(inputs, result);
    ReportWriter.Extras extras = new ReportWriter.Extras(
        ChangesSinceLastModel.since(outputs, record, listener),
        WhereTheModelLooks.maps(result, inputs.dataset(), listener));
    try {
      QualityGates.check(c, outputs, inputs.dataset(), result, listener);
    } catch (GateRejection e) {
      outputs.writeRejected(c.outputs().className(), result, inputs.dataset(),
          inputs.fingerprint(), e.verdict(), extras);
      throw e;
    }
    outputs.writeParts(inputs.parts());
    outputs.writeAccepted(c.outputs().className(), result, inputs.dataset(),
        inputs.fingerprint(), record, extras);
    return new Outcome(false, outputs.model, result.estimate().accuracy(),
        result.estimate().line(), outputs.report, inputs.dataset().labels());
  }

  /**
   * {@link ModelTraining}; when photos changed while it read them, their remembered hashes are
   * dropped before the build fails, so the next build reads them afresh.
   */
  static TrainingResult train(TrainConfiguration c, TrainInputs inputs,
      ProgressListener listener) throws UserProblemException {
    try {
      return ModelTraining.train(c, inputs, listener);
    } catch (ChangedPhotosException e) {
      inputs.forget(e.files());
      throw e;
    } finally {
      FeatureCacheLimit.apply(c.outputs().cacheDir(), c.outputs().cacheMaxBytes(), listener);
    }
  }

  /**
   * After a training, rewrites the generated class's source (when {@code generate} made one)
   * with the new metrics in its javadoc. The class was compiled before training; javadoc does not
   * change its bytecode, so the source just catches up for IDEs, javadoc and source jars.
   *
   * @param workDir Kiln's work folder (holds the summary)
   * @param className the generated class
   * @param labels labels in model order
   * @param generatedSources the generated-sources root of {@code generate}
   * @return true when the source was rewritten
   * @throws UserProblemException when the class name is invalid
   */
  public static boolean refreshGeneratedClass(Path workDir, String className, List<String> labels,
      Path generatedSources) throws UserProblemException {
    Path source = generatedSources.resolve(className.replace('.', '/') + ".java");
    if (!Files.isRegularFile(source) || !Files.isRegularFile(summaryFile(workDir))) {
      return false;
    }
    try {
      String summary = Files.readString(summaryFile(workDir)).strip();
      long before = Files.getLastModifiedTime(source).toMillis();
      ClassifierGenerator.generate(new ClassifierGenerator.Request(className, labels, summary,
          generatedSources));
      return Files.getLastModifiedTime(source).toMillis() != before;
    } catch (IOException e) {
      return false;
    }
  }
}
