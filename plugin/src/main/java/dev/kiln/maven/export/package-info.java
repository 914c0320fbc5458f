/**
 * ONNX export of trained DL4J graphs with Kiln's own protobuf classes (generated from the ONNX
 * IR subset in {@code src/main/proto}), and the parity check that proves the export computes what
 * the trained network computes.
 */
package dev.kiln.maven.export;
