/**
 * Kiln runtime: load an ONNX image classifier (a Kiln model, or any ONNX classifier given labels
 * and preprocessing) and classify images on the CPU or a CUDA GPU. Entry point: {@link
 * dev.kiln.runtime.ImageClassifier}.
 */
package dev.kiln.runtime;
