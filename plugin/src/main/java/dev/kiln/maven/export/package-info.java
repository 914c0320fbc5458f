/**
 * ONNX export of trained DL4J graphs with Kiln's own protobuf classes ({@code kiln-onnx}: the
 * ONNX IR subset), surgery on users' ONNX graphs, and the parity check that proves the export computes what
 * the trained network computes.
 */
package dev.kiln.maven.export;
