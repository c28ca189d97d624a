package io.keyward.keyserver.audit;

/**
 * A stored audit event with its place in the hash chain.
 *
 * @param hash hex SHA-256 over the previous record's hash and this record's fields
 */
public record AuditRecord(long sequence, AuditEvent event, String previousHash, String hash) {}
