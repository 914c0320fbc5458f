/** Wording shared by the log messages: counts with the right singular or plural. */
package dev.kiln.maven.text;
