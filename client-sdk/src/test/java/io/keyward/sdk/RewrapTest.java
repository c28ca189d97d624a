package io.keyward.sdk;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sdk.format.Header;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Rewrap against the fake keyserver: what changes, what stays, and what is refused. */
class RewrapTest {
  @RegisterExtension final InProcessKeyserver keyserver = new InProcessKeyserver();

  private static final Map<String, String> CONTEXT = Map.of("tenant", "acme");

  @Test
  void rewrapAfterRotationChangesOnlyVersionAndWrappedKey() {
    KeywardClient client = keyserver.client();
    byte[] ct = client.encrypt("ledger row".getBytes(UTF_8), CONTEXT);
    assertEquals(2, keyserver.fake.rotate(InProcessKeyserver.KEY));

    RewrapResult r = client.rewrap(ct, CONTEXT);
    assertTrue(r.changed());
    assertEquals(1, r.previousVersion());
    assertEquals(2, r.newVersion());
    byte[] rewrapped = r.ciphertext();
    Header before = Header.parse(ct);
    Header after = Header.parse(rewrapped);
    assertEquals(2, after.keyVersion());
    assertFalse(Arrays.equals(before.wrappedDek(), after.wrappedDek()));
    assertArrayEquals(before.commitment(), after.commitment());
    assertArrayEquals(Arrays.copyOfRange(ct, before.length(), ct.length),
        Arrays.copyOfRange(rewrapped, after.length(), rewrapped.length), "payload untouched");
    assertArrayEquals(Arrays.copyOf(ct, 3 + InProcessKeyserver.KEY.length()),
        Arrays.copyOf(rewrapped, 3 + InProcessKeyserver.KEY.length()), "name untouched");

    // Versions below the minimum no longer decrypt: the rewrapped one does, the original not.
    keyserver.fake.setMinDecryptionVersion(InProcessKeyserver.KEY, 2);
    KeywardClient reader = keyserver.client();
    assertEquals("ledger row", new String(reader.decrypt(rewrapped, CONTEXT), UTF_8));
    assertThrows(KeyVersionUnusableException.class, () -> reader.decrypt(ct, CONTEXT));
  }

  @Test
  void aCiphertextAlreadyUnderThePrimaryVersionComesBackUnchanged() {
    KeywardClient client = keyserver.client();
    byte[] ct = client.encrypt(new byte[] {1, 2, 3}, CONTEXT);
    RewrapResult r = client.rewrap(ct, CONTEXT);
    assertFalse(r.changed());
    assertEquals(1, r.previousVersion());
    assertEquals(1, r.newVersion());
    assertArrayEquals(ct, r.ciphertext());
    assertEquals(1, keyserver.fake.rewrapCalls.get());
    assertEquals("RewrapResult[v1 -> v1]", r.toString());
  }

  @Test
  void textFormRewraps() {
    KeywardClient client = keyserver.client();
    String text = client.encryptToText("t".getBytes(UTF_8), CONTEXT);
    keyserver.fake.rotate(InProcessKeyserver.KEY);
    RewrapResult r = client.rewrapText(text, CONTEXT);
    assertTrue(r.changed());
    assertTrue(r.ciphertextText().startsWith("kw1."));
    assertEquals("t", new String(client.decryptText(r.ciphertextText(), CONTEXT), UTF_8));
    assertThrows(DecryptionFailedException.class, () -> client.rewrapText("kw1.AQ", CONTEXT));
  }

  @Test
  void streamRewrapCopiesTheBodyUnchanged() throws Exception {
    KeywardClient client = keyserver.client();
    byte[] payload = new byte[3 * Header.DEFAULT_SEGMENT_BYTES + 5];
    new Random(3).nextBytes(payload);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (OutputStream out = client.encryptingStream(sink, CONTEXT)) {
      out.write(payload);
    }
    byte[] ct = sink.toByteArray();
    keyserver.fake.rotate(InProcessKeyserver.KEY);

    ByteArrayOutputStream rewrapped = new ByteArrayOutputStream();
    RewrapResult r = client.rewrapStream(new ByteArrayInputStream(ct), rewrapped, CONTEXT);
    assertTrue(r.changed());
    byte[] out = rewrapped.toByteArray();
    int oldHeader = Header.read(new ByteArrayInputStream(ct)).length();
    byte[] newHeader = r.ciphertext();
    assertEquals(Header.read(new ByteArrayInputStream(out)).length(), newHeader.length);
    assertArrayEquals(newHeader, Arrays.copyOf(out, newHeader.length));
    assertArrayEquals(Arrays.copyOfRange(ct, oldHeader, ct.length),
        Arrays.copyOfRange(out, newHeader.length, out.length));
    // The in-memory form gives the same bytes but for the fresh wrap.
    assertEquals(ct.length - oldHeader, client.rewrap(ct, CONTEXT).ciphertext().length
        - newHeader.length);

    keyserver.fake.setMinDecryptionVersion(InProcessKeyserver.KEY, 2);
    assertArrayEquals(payload, keyserver.client()
        .decryptingStream(new ByteArrayInputStream(out), CONTEXT).readAllBytes());
  }

  @Test
  void wrongContextTamperingAndRefusalsFail() {
    KeywardClient client = keyserver.client();
    byte[] ct = client.encrypt(new byte[8], CONTEXT);
    keyserver.fake.rotate(InProcessKeyserver.KEY);
    assertThrows(DecryptionFailedException.class, () -> client.rewrap(ct, Map.of()));
    assertThrows(IllegalArgumentException.class,
        () -> client.rewrap(ct, Map.of("", "empty keys are invalid")));
    assertThrows(DecryptionFailedException.class, () -> client.rewrap(new byte[3], CONTEXT));

    // The header claims version 2, but its DEK is wrapped under version 1.
    byte[] claimsV2 = ct.clone();
    claimsV2[3 + InProcessKeyserver.KEY.length() + 3] = 2;
    assertThrows(DecryptionFailedException.class, () -> client.rewrap(claimsV2, CONTEXT));
    assertThrows(DecryptionFailedException.class, () -> client.decrypt(claimsV2, CONTEXT));

    // A wrapped DEK of another key spliced into this header.
    keyserver.fake.createKey("other");
    Header mine = Header.parse(ct);
    Header theirs = Header.parse(client.encrypt("other", new byte[8], CONTEXT));
    byte[] spliced = mine.withWrappedDek(theirs.keyVersion(), theirs.wrappedDek());
    byte[] splicedCt = Arrays.copyOf(spliced, spliced.length + ct.length - mine.length());
    System.arraycopy(ct, mine.length(), splicedCt, spliced.length, ct.length - mine.length());
    assertThrows(DecryptionFailedException.class, () -> client.rewrap(splicedCt, CONTEXT));

    keyserver.fake.deny(InProcessKeyserver.KEY);
    assertThrows(PermissionDeniedException.class, () -> client.rewrap(ct, CONTEXT));
  }
}
