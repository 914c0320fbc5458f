/**
 * Pretrained backbones: architectures built as DL4J graphs with Keras layer names, Keras weights
 * (h5 or TF.js) loaded by name, and the resolver that turns the user's setting into one.
 */
package dev.kiln.maven.backbone;
