/** Generation of the typed Java classifier class that applications call. */
package dev.kiln.maven.codegen;
