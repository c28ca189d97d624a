package io.keyward.injector;

import java.util.Optional;

/** Step 2 of the pipeline: the defaults with the pod's own {@code keyward.io/*} choices applied. */
record PodSettings(
    Optional<String> defaultKey,
    Optional<String> sidecarConfigMap,
    String cpuRequest,
    String memoryRequest,
    Optional<String> cpuLimit,
    Optional<String> memoryLimit) {}
