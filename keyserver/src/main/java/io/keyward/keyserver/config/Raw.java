package io.keyward.keyserver.config;

/**
 * A setting's value as text, before parsing, with where it came from ("config.yaml line 3",
 * "environment variable KEYWARD_LISTEN", "flag --listen", "default") for error messages.
 */
record Raw(String text, String origin) {}
