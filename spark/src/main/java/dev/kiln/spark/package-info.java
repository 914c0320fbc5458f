/**
 * Kiln on Apache Spark. {@link dev.kiln.spark.KilnClassifier} classifies an image column with a
 * Kiln model; {@link dev.kiln.spark.KilnFeaturizer} adds a frozen backbone's pooled features as
 * an ML vector, for Spark MLlib's {@code LogisticRegression} to train the head at scale; {@link
 * dev.kiln.spark.KilnModelExport} writes that backbone and MLlib head as a Kiln model. Models
 * travel to the executors as broadcast bytes and are loaded once per executor JVM.
 */
package dev.kiln.spark;
