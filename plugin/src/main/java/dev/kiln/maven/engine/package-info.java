/** Process-wide engine setup: DL4J's fast CPU path. */
package dev.kiln.maven.engine;
