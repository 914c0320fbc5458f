/**
 * Where the model looks: class activation maps (Zhou et al., "Learning Deep Features for
 * Discriminative Localization", CVPR 2016). For a head that is one linear layer on globally
 * average-pooled feature maps, the class score is the average over positions of {@code CAM_c =
 * Σ_k w_ck · A_k}, so the map is exact and costs one forward pass: {@link
 * dev.kiln.maven.cam.ClassActivationMaps} finds the pooled maps and the head's weights ({@link
 * dev.kiln.maven.cam.PooledHead}) in the shipped ONNX model itself (so in the deeper modes the
 * maps are the last trained ones) and {@link
 * dev.kiln.maven.cam.HeatOverlay} draws the map over the photo as the model saw it. For a head
 * that joins several such blocks (several depths of one backbone, several backbones) the map is
 * the sum of the blocks' maps on the finest grid, each keeping its mean; with test-time flip it is
 * the mean of the photo's map and its mirror image's map, mirrored back. For a head that is not
 * such a layer (a hidden layer, max pooling, an fp16 model) it says why instead of drawing a
 * wrong map.
 */
package dev.kiln.maven.cam;
