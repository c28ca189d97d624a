package io.keyward.keyserver.audit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The audit chain hash: hex SHA-256 over a canonical encoding of (domain tag, previous hash,
 * sequence, every event field). Strings are UTF-8 with a 4-byte big-endian length prefix; optional
 * fields carry a presence byte (0 or 1) first; numbers are fixed-width big-endian. So no two
 * different records encode to the same bytes (no "a|bc" vs "ab|c" ambiguity). Not thread-safe: one
 * instance per thread.
 */
final class ChainHash {
  /** The {@code previousHash} of record 1. */
  static final String GENESIS = "0".repeat(64);

  private static final byte[] DOMAIN = "keyward-audit-v1".getBytes(StandardCharsets.UTF_8);

  private final MessageDigest sha256;
  private ByteBuffer buffer = ByteBuffer.allocate(512);

  ChainHash() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  String hash(String previousHash, long sequence, AuditEvent e) {
    buffer.clear();
    putBytes(DOMAIN);
    putString(previousHash);
    putLong(sequence);
    putLong(micros(e.time()));
    putString(e.requestId());
    putOptional(e.caller());
    putString(e.operation());
    putOptional(e.keyName());
    putOptionalInt(e.keyVersion());
    putString(e.outcome());
    buffer.flip();
    sha256.reset();
    sha256.update(buffer);
    return HexFormat.of().formatHex(sha256.digest());
  }

  /** Microseconds since the epoch: the precision the log stores and hashes. */
  static long micros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
  }

  private void putOptional(Optional<String> value) {
    ensure(1);
    buffer.put((byte) (value.isPresent() ? 1 : 0));
    value.ifPresent(this::putString);
  }

  private void putOptionalInt(OptionalInt value) {
    ensure(5);
    buffer.put((byte) (value.isPresent() ? 1 : 0));
    if (value.isPresent()) {
      buffer.putInt(value.getAsInt());
    }
  }

  private void putString(String s) {
    putBytes(s.getBytes(StandardCharsets.UTF_8));
  }

  private void putBytes(byte[] bytes) {
    ensure(4 + bytes.length);
    buffer.putInt(bytes.length);
    buffer.put(bytes);
  }

  private void putLong(long v) {
    ensure(8);
    buffer.putLong(v);
  }

  private void ensure(int more) {
    if (buffer.remaining() < more) {
      ByteBuffer bigger =
          ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + more));
      buffer.flip();
      bigger.put(buffer);
      buffer = bigger;
    }
  }
}
