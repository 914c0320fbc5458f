/**
 * The linear head of a feature extractor and the accuracy estimate: multinomial logistic
 * regression fitted to convergence with L-BFGS on cached features ({@link
 * dev.kiln.maven.head.SoftmaxRegression}), its L2 strength chosen by stratified k-fold
 * cross-validation and the estimate measured by nested cross-validation ({@link
 * dev.kiln.maven.head.LinearHeadSelection}), with an exact (Clopper–Pearson) interval ({@link
 * dev.kiln.maven.head.AccuracyEstimate}). Plain Java, deterministic, no Maven or DL4J.
 */
package dev.kiln.maven.head;
