package io.keyward.keyserver.store;

import java.time.Instant;

/** The policy document as stored, with a revision that increases on every put. */
public record StoredPolicy(String document, long revision, Instant updatedAt) {}
