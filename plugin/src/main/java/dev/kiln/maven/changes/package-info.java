/**
 * What changed since the last model: every build keeps its honest per-photo predictions (out-of-fold
 * or held-out, never a photo the predicting head trained on) and every photo's content hash and
 * label beside its outputs ({@link dev.kiln.maven.changes.BuildRecord}); the next build compares
 * them with its own ({@link dev.kiln.maven.changes.ModelChanges}): per-label accuracy before and
 * after on the photos both predicted, the photos now right and now wrong, and the photos added,
 * removed, changed and relabelled since. Plain Java; it reads predictions and never changes
 * training.
 */
package dev.kiln.maven.changes;
