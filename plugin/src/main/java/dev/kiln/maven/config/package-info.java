/**
 * The train goal's configuration, typed at the boundary: {@link
 * dev.kiln.maven.config.TrainConfiguration} groups the settings per concern (data, backbone,
 * head, optimisation, gates, outputs, run), built with named setters that parse strings into
 * enums and specs and fail naming the setting, its {@code kiln.*} property and the valid
 * choices. Every component says whether it can change the trained model ({@link
 * dev.kiln.maven.config.ModelInput} / {@link dev.kiln.maven.config.NotModelInput}); {@link
 * dev.kiln.maven.config.ConfigurationFingerprint} derives the fingerprint's inputs from exactly
 * those marks, so a new setting cannot be forgotten there.
 */
package dev.kiln.maven.config;
