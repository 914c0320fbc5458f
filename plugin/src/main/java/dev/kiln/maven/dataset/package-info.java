/** Labelled image folders: scanning, label order, and the stable train/validation split. */
package dev.kiln.maven.dataset;
