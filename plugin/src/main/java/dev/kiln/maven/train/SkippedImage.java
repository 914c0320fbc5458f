package dev.kiln.maven.train;

/**
 * An image left out of training, and why.
 *
 * @param relativePath path relative to the dataset root
 * @param reason the decoder's message
 */
public record SkippedImage(String relativePath, String reason) {}
