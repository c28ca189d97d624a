/**
 * JSON as plain Java values, read and written with jackson-core's streaming parser and generator
 * only: the sidecar keeps jackson-databind off its classpath (its classes cost metaspace in every
 * pod). Entry point: {@link io.keyward.sidecar.json.JsonTree}.
 */
package io.keyward.sidecar.json;
