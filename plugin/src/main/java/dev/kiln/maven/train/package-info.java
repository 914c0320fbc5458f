/**
 * The training engine: frozen features on ONNX Runtime, the new head on DL4J, export with a
 * parity check, evaluation and progress reporting. Knows nothing of Maven.
 */
package dev.kiln.maven.train;
