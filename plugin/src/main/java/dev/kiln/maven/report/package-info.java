/** The human-readable training report (HTML with inline SVG) and the JSON metrics files. */
package dev.kiln.maven.report;
