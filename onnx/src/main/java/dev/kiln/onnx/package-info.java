/**
 * The ONNX IR subset Kiln reads and writes ({@code OnnxProto}, generated from
 * {@code src/main/proto/onnx-kiln.proto}; field numbers as the ONNX specification, so files
 * written with it are standard ONNX models and users' models round-trip, fields Kiln does not
 * know kept as unknown fields).
 */
package dev.kiln.onnx;
