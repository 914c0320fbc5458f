/**
 * DL4J building blocks that backbone families need and DL4J lacks: the broadcast channel scaling
 * of squeeze-and-excite ({@link dev.kiln.maven.blocks.ChannelScaleVertex}) and hard-swish
 * ({@link dev.kiln.maven.blocks.ActivationHardSwish}). Each trains (forward and backward) and
 * has a converter in the ONNX exporter.
 */
package dev.kiln.maven.blocks;
