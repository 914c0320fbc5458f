/**
 * {@link dev.kiln.maven.problem.UserProblemException}: the one exception the services (data set
 * scanning, backbone resolution, training, the goals' work) throw for problems the user can fix.
 * The Mojos turn it into a {@code MojoFailureException}; anything else is a Kiln bug.
 */
package dev.kiln.maven.problem;
