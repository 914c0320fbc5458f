/**
 * Writing files the way Kiln's outputs and caches need it: {@link
 * dev.kiln.maven.files.AtomicFiles} replaces a file whole or not at all, {@link
 * dev.kiln.maven.files.TempFiles} makes the temporary files that precede such a move with the
 * permissions the user's umask gives any new file (a shared cache stays readable) and removes the
 * ones an interrupted build left behind.
 */
package dev.kiln.maven.files;
