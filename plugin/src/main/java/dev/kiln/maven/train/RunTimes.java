package dev.kiln.maven.train;

/** Wall time and frozen-part counts, summed over the stages of one run. */
final class RunTimes {
  private long decodeMillis;
  private long forwardMillis;
  private long trainMillis;
  private int computed;
  private int cached;

  /** Adds a feature source's decode and forward time and its computed/cached counts. */
  void add(FeatureSource source) {
    decodeMillis += source.decodeMillis();
    forwardMillis += source.forwardMillis();
    computed += source.computed();
    cached += source.cached();
  }

  /** Adds time spent decoding images outside a feature source. */
  void addDecode(long millis) {
    decodeMillis += millis;
  }

  /** Adds time spent training (decoding excluded). */
  void addTrain(long millis) {
    trainMillis += millis;
  }

  /** @return the run's timings with the export's */
  TrainingResult.Timings timings(long exportMillis) {
    return new TrainingResult.Timings(decodeMillis, forwardMillis, trainMillis, exportMillis,
        computed, cached);
  }
}
