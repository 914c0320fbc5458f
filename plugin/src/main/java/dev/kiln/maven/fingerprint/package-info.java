/** Build fingerprints: what decides whether the previous model can be reused. */
package dev.kiln.maven.fingerprint;
