package io.keyward.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sdk.format.Header;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every way of changing a known ciphertext, or its context, must fail with the same exception
 * and the same message, whether the change lands in the header (and so reaches the keyserver), in
 * the commitment, the nonce, the body or the tag. The exception carries no stack trace or cause
 * either, since those would tell which check failed.
 */
class TamperingTest {
  @RegisterExtension final InProcessKeyserver keyserver = new InProcessKeyserver();

  private static final Map<String, String> CONTEXT = Map.of("tenant", "acme", "field", "iban");

  /** Runs {@code attempt}; records a failure unless it threw exactly the uniform exception. */
  private static void expectUniformFailure(List<String> failures, String what, Attempt attempt) {
    Throwable thrown = null;
    try {
      attempt.run();
    } catch (Throwable t) {
      thrown = t;
    }
    if (thrown == null) {
      failures.add(what + ": decrypted");
    } else if (thrown.getClass() != DecryptionFailedException.class
        || !"decryption failed".equals(thrown.getMessage())
        || thrown.getStackTrace().length != 0 || thrown.getCause() != null) {
      failures.add(what + ": threw " + thrown);
    }
  }

  interface Attempt {
    void run() throws Exception;
  }

  @Test
  void everyBitFlipTruncationExtensionAndContextChangeFailsAlike() {
    KeywardClient client = keyserver.client();
    byte[] plaintext = "4111 1111 1111 1111".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] ct = client.encrypt(plaintext, CONTEXT);
    assertArrayEquals(plaintext, client.decrypt(ct, CONTEXT)); // warm: most cases hit the cache
    List<String> failures = new ArrayList<>();

    for (int bit = 0; bit < ct.length * 8; bit++) {
      byte[] bad = ct.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      expectUniformFailure(failures, "flip bit " + bit, () -> client.decrypt(bad, CONTEXT));
    }
    for (int length = 0; length < ct.length; length++) {
      byte[] bad = Arrays.copyOf(ct, length);
      expectUniformFailure(failures, "truncate to " + length, () -> client.decrypt(bad, CONTEXT));
    }
    for (int b : new int[] {0, 1, 0xFF}) {
      byte[] bad = Arrays.copyOf(ct, ct.length + 1);
      bad[ct.length] = (byte) b;
      expectUniformFailure(failures, "append " + b, () -> client.decrypt(bad, CONTEXT));
    }
    List<Map<String, String>> otherContexts = List.of(
        Map.of(),
        Map.of("tenant", "acme"),
        Map.of("tenant", "acme", "field", "iban", "extra", ""),
        Map.of("tenant", "acme", "field", "IBAN"),
        Map.of("tenant", "acme", "fielD", "iban"),
        Map.of("tenant", "acme", "field", "iban\u0000"));
    for (Map<String, String> other : otherContexts) {
      expectUniformFailure(failures, "context " + other, () -> client.decrypt(ct, other));
    }
    assertTrue(failures.isEmpty(), failures.size() + " cases:\n" + String.join("\n", failures));
    assertArrayEquals(plaintext, client.decrypt(ct, CONTEXT)); // nothing was poisoned
  }

  @Test
  void streamSegmentsSwappedDuplicatedDroppedOrCutFailAlike() throws Exception {
    KeywardClient client = keyserver.client();
    int segment = Header.DEFAULT_SEGMENT_BYTES + Header.TAG_BYTES;
    byte[] payload = new byte[3 * Header.DEFAULT_SEGMENT_BYTES - 100];
    new Random(1).nextBytes(payload);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (OutputStream out = client.encryptingStream(sink, CONTEXT)) {
      out.write(payload);
    }
    byte[] ct = sink.toByteArray();
    int h = ct.length - (2 * segment + (payload.length - 2 * Header.DEFAULT_SEGMENT_BYTES)
        + Header.TAG_BYTES);
    assertEquals(Header.read(new ByteArrayInputStream(ct)).length(), h);
    byte[] s0 = Arrays.copyOfRange(ct, h, h + segment);
    byte[] s1 = Arrays.copyOfRange(ct, h + segment, h + 2 * segment);
    byte[] s2 = Arrays.copyOfRange(ct, h + 2 * segment, ct.length);
    byte[] header = Arrays.copyOf(ct, h);
    assertArrayEquals(payload, readAll(client, ct, CONTEXT));

    List<String> failures = new ArrayList<>();
    Map<String, byte[]> cases = new java.util.LinkedHashMap<>();
    cases.put("swap 0 and 1", concat(header, s1, s0, s2));
    cases.put("swap 1 and 2", concat(header, s0, s2, s1));
    cases.put("duplicate 0", concat(header, s0, s0, s1, s2));
    cases.put("duplicate last", concat(header, s0, s1, s2, s2));
    cases.put("drop final", concat(header, s0, s1));
    cases.put("drop middle", concat(header, s0, s2));
    cases.put("only final", concat(header, s2));
    cases.put("no segments", header);
    cases.put("append a byte", concat(ct, new byte[1]));
    for (int cut : new int[] {h + 1, h + segment - 1, h + segment + 1, ct.length - 1,
        ct.length - Header.TAG_BYTES}) {
      cases.put("truncate to " + cut, Arrays.copyOf(ct, cut));
    }
    for (int bit = 0; bit < h * 8; bit++) {
      byte[] bad = ct.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      cases.put("flip header bit " + bit, bad);
    }
    Random random = new Random(2);
    for (int i = 0; i < 200; i++) {
      byte[] bad = ct.clone();
      int bit = h * 8 + random.nextInt((ct.length - h) * 8);
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      cases.put("flip body bit " + bit, bad);
    }
    for (Map.Entry<String, byte[]> c : cases.entrySet()) {
      expectUniformFailure(failures, c.getKey(), () -> readAll(client, c.getValue(), CONTEXT));
    }
    expectUniformFailure(failures, "other context", () -> readAll(client, ct, Map.of()));
    assertTrue(failures.isEmpty(), failures.size() + " cases:\n" + String.join("\n", failures));
  }

  private static byte[] readAll(KeywardClient client, byte[] ct, Map<String, String> context)
      throws Exception {
    return client.decryptingStream(new ByteArrayInputStream(ct), context).readAllBytes();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
