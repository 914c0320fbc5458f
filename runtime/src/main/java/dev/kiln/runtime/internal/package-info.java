/**
 * Plumbing that Kiln's own Maven plugin uses and applications should not: ONNX Runtime sessions
 * with the device choice ({@link dev.kiln.runtime.internal.Sessions}), classification of
 * already preprocessed tensors and tensor writing into direct buffers ({@link
 * dev.kiln.runtime.internal.Tensors}), and training-time augmentation ({@link
 * dev.kiln.runtime.internal.Augmentation}). <strong>Unsupported:</strong> anything here may
 * change or disappear in any release without notice.
 */
package dev.kiln.runtime.internal;
