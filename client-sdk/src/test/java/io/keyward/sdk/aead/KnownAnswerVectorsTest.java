package io.keyward.sdk.aead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.format.CanonicalContext;
import io.keyward.sdk.format.Header;
import io.keyward.sdk.format.TextForm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins ciphertext format v1 with vectors made by an independent implementation of
 * docs/ciphertext-format.md (src/test/resources/generate_vectors.py): the SDK must decrypt every
 * valid vector, reject every invalid one, and reproduce each valid ciphertext byte for byte.
 */
class KnownAnswerVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  private static JsonNode vectors() throws Exception {
    try (InputStream in =
        KnownAnswerVectorsTest.class.getResourceAsStream("/ciphertext-format-v1-vectors.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  private static JsonNode vector(int id) throws Exception {
    for (JsonNode v : vectors().get("vectors")) {
      if (v.get("id").asInt() == id) {
        return v;
      }
    }
    throw new AssertionError("no vector " + id);
  }

  /**
   * Every single-bit flip, every truncation and an appended byte of a known message (vector 2)
   * and a known three-segment stream (vector 5), segment swaps of the stream, and a changed
   * context, all fail with the uniform exception.
   */
  @Test
  void everyChangeToAKnownCiphertextFails() throws Exception {
    List<String> failures = new ArrayList<>();
    for (int id : new int[] {2, 5}) {
      JsonNode v = vector(id);
      boolean stream = v.get("kind").asText().equals("stream");
      DataKey key = DataKey.deriveFromInsecureBytes(HEX.parseHex(v.get("dek").asText()));
      byte[] canonical = HEX.parseHex(v.get("canonicalContext").asText());
      byte[] ct = HEX.parseHex(v.get("ciphertext").asText());
      List<byte[]> cases = new ArrayList<>();
      for (int bit = 0; bit < ct.length * 8; bit++) {
        if (RewrappableBits.contains(ct, bit)) {
          continue; // authenticated by the keyserver, not the AEAD: see TamperingTest
        }
        byte[] bad = ct.clone();
        bad[bit / 8] ^= (byte) (1 << (bit % 8));
        cases.add(bad);
      }
      for (int length = 0; length < ct.length; length++) {
        cases.add(java.util.Arrays.copyOf(ct, length));
      }
      cases.add(java.util.Arrays.copyOf(ct, ct.length + 1));
      if (stream) {
        int h = ct.length - (2 * 1040 + 452 + 16);
        byte[] swapped = ct.clone();
        System.arraycopy(ct, h, swapped, h + 1040, 1040);
        System.arraycopy(ct, h + 1040, swapped, h, 1040);
        cases.add(swapped);
      }
      for (int i = 0; i < cases.size(); i++) {
        byte[] bad = cases.get(i);
        expectFailure(failures, "vector " + id + " case " + i, () -> stream
            ? openStream(key, bad, canonical) : openMessage(key, bad, canonical));
      }
      expectFailure(failures, "vector " + id + " other context", () -> stream
          ? openStream(key, ct, CanonicalContext.encode(Map.of()))
          : openMessage(key, ct, CanonicalContext.encode(Map.of())));
    }
    assertTrue(failures.isEmpty(), failures.size() + " cases:\n" + String.join("\n", failures));
  }

  interface Attempt {
    byte[] run() throws Exception;
  }

  private static void expectFailure(List<String> failures, String what, Attempt attempt) {
    try {
      attempt.run();
      failures.add(what + ": decrypted");
    } catch (DecryptionFailedException expected) {
      // the uniform failure
    } catch (Exception e) {
      failures.add(what + ": threw " + e);
    }
  }

  @Test
  void everyVectorBehavesAsItsResultSays() throws Exception {
    JsonNode root = vectors();
    List<String> failures = new ArrayList<>();
    int valid = 0;
    for (JsonNode v : root.get("vectors")) {
      String id = "vector " + v.get("id").asInt() + " (" + v.get("comment").asText() + ")";
      try {
        boolean expectValid = v.get("result").asText().equals("valid");
        valid += expectValid ? 1 : 0;
        check(v, expectValid, id, failures);
      } catch (RuntimeException e) {
        failures.add(id + ": unexpected " + e);
      }
    }
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    assertTrue(valid >= 7, "too few valid vectors: " + valid);
  }

  private static void check(JsonNode v, boolean expectValid, String id, List<String> failures)
      throws Exception {
    byte[] dekBytes = HEX.parseHex(v.get("dek").asText());
    DataKey key = DataKey.deriveFromInsecureBytes(dekBytes);
    Map<String, String> context = new LinkedHashMap<>();
    v.get("context").forEachEntry((k, value) -> context.put(k, value.asText()));
    byte[] canonical = CanonicalContext.encode(context);
    byte[] ciphertext = HEX.parseHex(v.get("ciphertext").asText());
    byte[] plaintext = HEX.parseHex(v.get("plaintext").asText());

    expectHex(failures, id, "canonical context", v.get("canonicalContext"), canonical);
    expectHex(failures, id, "message key", v.get("messageKey"), key.messageKey().getEncoded());
    expectHex(failures, id, "commitment", v.get("commitment"), key.commitment());

    boolean stream = v.get("kind").asText().equals("stream");
    if (expectValid) {
      Header parsed = stream
          ? Header.read(new ByteArrayInputStream(ciphertext)) : Header.parse(ciphertext);
      expectHex(failures, id, "associated data", v.get("associatedData"),
          parsed.associatedData(canonical));
    }
    byte[] opened;
    try {
      opened = stream ? openStream(key, ciphertext, canonical) : openMessage(key, ciphertext,
          canonical);
    } catch (DecryptionFailedException e) {
      if (expectValid) {
        failures.add(id + ": did not decrypt");
      }
      return;
    }
    if (!expectValid) {
      failures.add(id + ": decrypted but must fail");
      return;
    }
    if (!HEX.formatHex(opened).equals(HEX.formatHex(plaintext))) {
      failures.add(id + ": wrong plaintext");
    }
    Header header = stream
        ? Header.read(new ByteArrayInputStream(ciphertext)) : Header.parse(ciphertext);
    if (!header.keyName().equals(v.get("keyName").asText())
        || Integer.toUnsignedLong(header.keyVersion()) != v.get("keyVersion").asLong()
        || !HEX.formatHex(header.wrappedDek()).equals(v.get("wrappedDek").asText())) {
      failures.add(id + ": header fields differ");
    }
    byte[] again = stream
        ? sealStream(key, header, canonical, plaintext)
        : sealMessage(key, header, ciphertext, canonical, plaintext);
    expectHex(failures, id, "re-encryption", v.get("ciphertext"), again);
    if (!stream && !TextForm.encode(ciphertext).equals(v.get("text").asText())) {
      failures.add(id + ": text form differs");
    }
    if (!stream && !HEX.formatHex(TextForm.decode(v.get("text").asText()))
        .equals(v.get("ciphertext").asText())) {
      failures.add(id + ": text form does not decode");
    }
  }

  /**
   * A rewrap changes only the key version and the wrapped DEK: {@link Header#withWrappedDek}
   * turns vector 2 into vector 12 and vector 5 into vector 14 byte for byte.
   */
  @Test
  void rewrappingTheHeaderReproducesTheRewrappedVectors() throws Exception {
    for (int[] pair : new int[][] {{2, 12}, {5, 14}}) {
      JsonNode from = vector(pair[0]);
      JsonNode to = vector(pair[1]);
      byte[] ct = HEX.parseHex(from.get("ciphertext").asText());
      Header header = from.get("kind").asText().equals("stream")
          ? Header.read(new ByteArrayInputStream(ct)) : Header.parse(ct);
      byte[] newHeader = header.withWrappedDek(
          (int) to.get("keyVersion").asLong(), HEX.parseHex(to.get("wrappedDek").asText()));
      byte[] rewrapped = java.util.Arrays.copyOf(
          newHeader, newHeader.length + ct.length - header.length());
      System.arraycopy(ct, header.length(), rewrapped, newHeader.length,
          ct.length - header.length());
      assertEquals(to.get("ciphertext").asText(), HEX.formatHex(rewrapped),
          "vector " + pair[0] + " rewrapped");
    }
  }

  private static byte[] openMessage(DataKey key, byte[] ciphertext, byte[] canonical) {
    return MessageDecrypter.open(key, Header.parse(ciphertext), ciphertext, canonical);
  }

  private static byte[] openStream(DataKey key, byte[] ciphertext, byte[] canonical)
      throws Exception {
    InputStream in = new ByteArrayInputStream(ciphertext);
    Header header = Header.read(in);
    return StreamDecryptingInputStream.open(in, header, key, canonical).readAllBytes();
  }

  /** Re-encrypts with the vector's nonce: the same prefix, and the index reached by reserving. */
  private static byte[] sealMessage(DataKey key, Header header, byte[] ciphertext,
      byte[] canonical, byte[] plaintext) {
    int n = header.length();
    int prefix = ((ciphertext[n] & 0xFF) << 24) | ((ciphertext[n + 1] & 0xFF) << 16)
        | ((ciphertext[n + 2] & 0xFF) << 8) | (ciphertext[n + 3] & 0xFF);
    long index = 0;
    for (int i = 4; i < 12; i++) {
      index = (index << 8) | (ciphertext[n + i] & 0xFF);
    }
    byte[] headerBytes = Header.encodeMessage(
        header.keyName(), header.keyVersion(), header.wrappedDek(), key.commitment());
    MessageEncrypter encrypter = new MessageEncrypter(key, headerBytes, canonical,
        MessageEncrypter.MAX_MESSAGES_PER_DEK, MessageEncrypter.MAX_BYTES_PER_DEK, prefix);
    for (long i = 0; i < index; i++) {
      assertEquals(i, encrypter.tryReserve(0));
    }
    return encrypter.tryEncrypt(plaintext);
  }

  private static byte[] sealStream(DataKey key, Header header, byte[] canonical, byte[] plaintext)
      throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (StreamEncryptingOutputStream out = StreamEncryptingOutputStream.open(sink, key,
        header.keyName(), header.keyVersion(), header.wrappedDek(), canonical,
        header.segmentSize(), header.salt())) {
      out.write(plaintext);
    }
    return sink.toByteArray();
  }

  private static void expectHex(List<String> failures, String id, String what, JsonNode expected,
      byte[] actual) {
    if (!expected.asText().equals(HEX.formatHex(actual))) {
      failures.add(id + ": " + what + " differs");
    }
  }
}
