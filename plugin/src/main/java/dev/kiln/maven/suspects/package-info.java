/**
 * Photos whose folder (label) is probably wrong, found by confident learning (Northcutt, Jiang
 * and Chuang, "Confident Learning: Estimating Uncertainty in Dataset Labels", JAIR 2021) from
 * predictions no head made after training on the photo (out-of-fold or held-out): {@link
 * dev.kiln.maven.suspects.ConfidentLearning}. Plain Java; it reads predictions and never changes
 * training.
 */
package dev.kiln.maven.suspects;
