package dev.kiln.maven.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A configuration component that cannot change the trained model: not in the fingerprint. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface NotModelInput {
  /** @return why it cannot change the model (or how its effect is fingerprinted otherwise) */
  String value();
}
