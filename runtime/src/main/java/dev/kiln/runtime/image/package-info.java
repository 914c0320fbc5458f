/**
 * Image decoding and preprocessing, implemented once: used by the runtime to classify and by the
 * Kiln Maven plugin to train, so both feed the network identical pixels.
 */
package dev.kiln.runtime.image;
