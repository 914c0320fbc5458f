/**
 * What each goal does, as plain services the Mojos call: training builds with fingerprints and
 * atomic outputs, evaluation on a test folder. Know nothing of Maven.
 */
package dev.kiln.maven.goal;
