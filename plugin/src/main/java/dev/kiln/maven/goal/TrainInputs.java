package dev.kiln.maven.goal;

import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.ConfigurationFingerprint;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.DuplicatePhotos;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoReader;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.maven.dataset.PhotoSource;
import dev.kiln.maven.fingerprint.FileHashes;
import dev.kiln.maven.fingerprint.Fingerprint;
import dev.kiln.maven.fingerprint.FingerprintParts;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.ProgressListener;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Step 1 of the train goal: resolve the inputs. Scans the photos, resolves the backbone's weights
 * file (downloading it when needed) and computes the fingerprint of photos, configuration
 * ({@link ConfigurationFingerprint}: every {@code @ModelInput} setting) and backbone.
 *
 * @param dataset the scanned photos
 * @param backboneFiles the local weights files: one, or each of several backbones ({@code a+b})
 * @param alternativeFiles the local weights files of {@code backbones} (auto's other
 *     candidates), in order
 * @param fingerprint SHA-256 over everything that can change the model
 * @param photos the photos' bytes and the hash the fingerprint recorded of each (or {@link
 *     PhotoReads#UNREADABLE}): training holds every read to it
 * @param hashes the remembered file hashes (a photo found changed is forgotten there)
 * @param parts what the fingerprint is made of (kept for the next build's "retraining: …" line)
 */
record TrainInputs(Dataset dataset, java.util.List<Path> backboneFiles,
    List<Path> alternativeFiles, String fingerprint, PhotoSource photos, FileHashes hashes,
    FingerprintParts parts) {

  TrainInputs {
    backboneFiles = java.util.List.copyOf(backboneFiles);
    if (backboneFiles.isEmpty()) {
      throw new IllegalArgumentException("no backbone file");
    }
    alternativeFiles = List.copyOf(alternativeFiles);
  }

  /** @return the (first) backbone's weights file */
  Path backboneFile() {
    return backboneFiles.get(0);
  }

  static TrainInputs resolve(TrainConfiguration c, ProgressListener listener)
      throws UserProblemException {
    Dataset data;
    try {
      data = DatasetScanner.scan(new DatasetScanner.Request(c.data().images(),
          c.data().includes(), c.data().excludes(), c.data().validationSplit(),
          c.optimisation().seed(), c.data().followLinks()));
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("invalid images (kiln.images): " + e.getMessage(), e);
    }
    data.warnings().forEach(listener::warn);
    java.util.List<Path> backboneFiles = BackboneResolver.files(c.backbone().source(),
        c.run().baseDir(),
        c.backbone().download(), line -> listener.phase("backbone", line),
        listener::warn);
    List<Path> alternativeFiles = new java.util.ArrayList<>();
    for (var source : c.backbone().alternatives()) {
      alternativeFiles.add(BackboneResolver.file(source, c.run().baseDir(),
          c.backbone().download(), line -> listener.phase("backbone", line), listener::warn));
    }
    Map<String, Path> files = new LinkedHashMap<>();
    for (LabelledImage i : data.train()) {
      files.put("train:" + i.relativePath(), i.file());
    }
    for (LabelledImage i : data.validation()) {
      files.put("val:" + i.relativePath(), i.file());
    }
    FileHashes hashes = FileHashes.load(hashesFile(c));
    if (c.run().force()) {
      hashes.rehashAll(); // -Dkiln.force rebuilds from what is on disk, whatever was remembered
    }
    // a TF.js backbone is its model.json and every shard: a changed shard retrains too; several
    // backbones are every file of each
    java.util.List<Path> weightFiles = new java.util.ArrayList<>();
    for (Path f : backboneFiles) {
      weightFiles.addAll(dev.kiln.maven.backbone.KerasWeights.files(f));
    }
    // auto's other backbones after the backbone's own files: with none, the same fingerprint
    for (Path alternative : alternativeFiles) {
      weightFiles.addAll(dev.kiln.maven.backbone.KerasWeights.files(alternative));
    }
    FingerprintParts parts = Fingerprint.parts(files, ConfigurationFingerprint.inputs(c),
        weightFiles, c.run().pluginVersion(),
        hashes);
    // one read per photo and build: FileHashes answers again with the fingerprint's hash
    Map<Path, String> recorded = new HashMap<>();
    for (Path f : files.values()) {
      recorded.put(f, hash(hashes, f));
    }
    DuplicatePhotos.Result unique;
    try {
      // an unreadable photo is no one's duplicate: training skips and reports it
      unique = DuplicatePhotos.resolve(data, f -> recorded.get(f).equals(PhotoReads.UNREADABLE)
          ? PhotoReads.UNREADABLE + ":" + f : recorded.get(f));
    } catch (java.io.IOException e) {
      throw new UserProblemException("cannot read a photo: " + e.getMessage(), e);
    }
    hashes.save();
    unique.dataset().warnings().stream().skip(data.warnings().size()).forEach(listener::warn);
    if (!unique.conflicts().isEmpty() && c.data().failOnBadImages()) {
      throw new UserProblemException(unique.conflicts().size() + " photo(s) are under more than"
          + " one label and failOnBadImages is set:\n  " + String.join("\n  ",
              unique.conflicts()) + "\nKeep each photo in its one right label folder");
    }
    data = unique.dataset();
    listener.debug("fingerprint: " + hashes.read() + " files read, " + hashes.remembered()
        + " unchanged (size and time) and not read");
    return new TrainInputs(data, backboneFiles, List.copyOf(alternativeFiles), parts.hash(),
        new PhotoSource(recorded, PhotoReader.FILES), hashes, parts);
  }

  /** @return the file the photos' hashes are remembered in between builds */
  static Path hashesFile(TrainConfiguration c) {
    return c.outputs().workDir().resolve("file-hashes.tsv");
  }

  /**
   * After photos were found changed: their remembered hashes are dropped, so the next build
   * reads them again even when they kept their size and time.
   */
  void forget(List<Path> changed) {
    hashes.forget(changed).save();
  }

  private static String hash(FileHashes hashes, Path file) {
    try {
      return hashes.sha256(file);
    } catch (java.io.IOException e) {
      return PhotoReads.UNREADABLE; // as the fingerprint recorded it
    }
  }
}
