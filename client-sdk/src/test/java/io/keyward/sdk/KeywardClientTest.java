package io.keyward.sdk;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sdk.format.Header;
import io.keyward.sdk.format.TextForm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeywardClientTest {
  @RegisterExtension final InProcessKeyserver keyserver = new InProcessKeyserver();

  private static final Map<String, String> CONTEXT = Map.of("tenant", "acme", "table", "cards");

  @Test
  void encryptRotateEncryptAgainThenDecryptBoth() {
    KeywardClient client = keyserver.client();
    byte[] first = client.encrypt("before rotation".getBytes(UTF_8), CONTEXT);
    assertEquals(2, keyserver.fake.rotate(InProcessKeyserver.KEY));
    keyserver.clock.advance(KeywardSettings.DEFAULT_DATA_KEY_MAX_AGE); // cached DEK expires
    byte[] second = client.encrypt("after rotation".getBytes(UTF_8), CONTEXT);

    assertEquals(1, Header.parse(first).keyVersion());
    assertEquals(2, Header.parse(second).keyVersion());
    // A fresh client has nothing cached: both unwraps go to the keyserver.
    KeywardClient reader = keyserver.client();
    assertEquals("before rotation", new String(reader.decrypt(first, CONTEXT), UTF_8));
    assertEquals("after rotation", new String(reader.decrypt(second, CONTEXT), UTF_8));
    assertEquals(2, keyserver.fake.decryptCalls.get());
  }

  @Test
  void contextIsAMapNotAnOrderAndMustMatch() {
    KeywardClient client = keyserver.client();
    Map<String, String> ordered = new LinkedHashMap<>();
    ordered.put("b", "2");
    ordered.put("a", "1");
    byte[] ct = client.encrypt(new byte[] {1, 2, 3}, ordered);
    Map<String, String> reversed = new LinkedHashMap<>();
    reversed.put("a", "1");
    reversed.put("b", "2");
    assertArrayEquals(new byte[] {1, 2, 3}, client.decrypt(ct, reversed));
    assertThrows(DecryptionFailedException.class, () -> client.decrypt(ct, Map.of("a", "1")));
    assertThrows(DecryptionFailedException.class,
        () -> client.decrypt(ct, Map.of("a", "1", "b", "3")));
  }

  @Test
  void textFormRoundTripsAndIsUrlAndJsonSafe() {
    KeywardClient client = keyserver.client();
    String text = client.encryptToText("hello".getBytes(UTF_8), CONTEXT);
    assertTrue(text.startsWith("kw1."), text);
    assertTrue(text.matches("kw1\\.[A-Za-z0-9_-]+"), text);
    assertTrue(TextForm.looksLikeCiphertext(text));
    assertEquals("hello", new String(client.decryptText(text, CONTEXT), UTF_8));
    assertThrows(DecryptionFailedException.class, () -> client.decryptText("kw1.", CONTEXT));
    assertThrows(DecryptionFailedException.class, () -> client.decryptText("hello", CONTEXT));
  }

  @Test
  void asyncVariantsCompleteAndFailWithTheSameExceptions() {
    KeywardClient client = keyserver.client();
    byte[] ct = client.encryptAsync("async".getBytes(UTF_8), CONTEXT).join();
    assertEquals("async", new String(client.decryptAsync(ct, CONTEXT).join(), UTF_8));
    CompletionException e = assertThrows(CompletionException.class,
        () -> client.decryptAsync(ct, Map.of()).join());
    assertInstanceOf(DecryptionFailedException.class, e.getCause());
    CompletionException missing = assertThrows(CompletionException.class,
        () -> client.encryptAsync("no-such-key", new byte[1], CONTEXT).join());
    assertInstanceOf(KeyNotFoundException.class, missing.getCause());
  }

  @Test
  void streamsRoundTripLargePayloads() throws Exception {
    KeywardClient client = keyserver.client();
    byte[] payload = new byte[200_000 + 17];
    new Random(7).nextBytes(payload);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (OutputStream out = client.encryptingStream(sink, CONTEXT)) {
      out.write(payload, 0, 1000);
      out.write(payload[1000]);
      out.write(payload, 1001, payload.length - 1001);
    }
    try (InputStream in = client.decryptingStream(
        new ByteArrayInputStream(sink.toByteArray()), CONTEXT)) {
      assertArrayEquals(payload, in.readAllBytes());
    }
    assertThrows(DecryptionFailedException.class, () -> keyserver.client()
        .decryptingStream(new ByteArrayInputStream(sink.toByteArray()), Map.of())
        .readAllBytes());
    // A stream ciphertext is not a message ciphertext, and the other way round.
    assertThrows(DecryptionFailedException.class, () -> client.decrypt(sink.toByteArray(), CONTEXT));
    byte[] message = client.encrypt(new byte[10], CONTEXT);
    assertThrows(DecryptionFailedException.class,
        () -> client.decryptingStream(new ByteArrayInputStream(message), CONTEXT));
  }

  @Test
  void keyserverCodesBecomeTypedExceptions() {
    KeywardClient client = keyserver.client();
    assertThrows(KeyNotFoundException.class, () -> client.encrypt("nope", new byte[1], CONTEXT));

    keyserver.fake.createKey("locked");
    keyserver.fake.deny("locked");
    assertThrows(PermissionDeniedException.class,
        () -> client.encrypt("locked", new byte[1], CONTEXT));

    byte[] v1 = client.encrypt(new byte[1], CONTEXT);
    keyserver.fake.rotate(InProcessKeyserver.KEY);
    keyserver.fake.setMinDecryptionVersion(InProcessKeyserver.KEY, 2);
    assertThrows(KeyVersionUnusableException.class, () -> keyserver.client().decrypt(v1, CONTEXT));

    keyserver.acceptedToken = "another-token";
    assertFalse(assertThrows(NotAuthenticatedException.class,
        () -> keyserver.client().encrypt(new byte[1], CONTEXT)).isRetryable());
  }

  @Test
  void tokenSourceFailureIsNotAuthenticated() {
    KeywardClient client = keyserver.client(b -> b.tokenSource(() -> {
      throw new IllegalStateException("no token yet");
    }));
    assertThrows(NotAuthenticatedException.class, () -> client.encrypt(new byte[1], CONTEXT));
  }

  @Test
  void disabledVersionIsUnusable() {
    byte[] v1 = keyserver.client().encrypt(new byte[1], CONTEXT);
    keyserver.fake.disable(InProcessKeyserver.KEY, 1);
    assertThrows(KeyVersionUnusableException.class, () -> keyserver.client().decrypt(v1, CONTEXT));
  }

  @Test
  void hangingKeyserverHitsTheDeadline() {
    keyserver.fake.mode = FakeKeyserver.Mode.HANG;
    KeywardClient client = keyserver.client(b -> b.callDeadline(Duration.ofMillis(200)));
    KeyserverUnavailableException e = assertThrows(KeyserverUnavailableException.class,
        () -> client.encrypt(new byte[1], CONTEXT));
    assertTrue(e.isRetryable());
  }

  @Test
  void garbageFromTheKeyserverIsNeverUsedNorCached() {
    KeywardClient client = keyserver.client();
    byte[] ct = client.encrypt(new byte[1], CONTEXT);
    keyserver.fake.mode = FakeKeyserver.Mode.GARBAGE;
    KeywardClient fresh = keyserver.client();
    assertThrows(KeyserverUnavailableException.class, () -> fresh.encrypt(new byte[1], CONTEXT));
    assertThrows(KeyserverUnavailableException.class, () -> fresh.decrypt(ct, CONTEXT));
    keyserver.fake.mode = FakeKeyserver.Mode.UP;
    assertArrayEquals(new byte[1], fresh.decrypt(ct, CONTEXT));
  }

  @Test
  void badArgumentsFailAtOnceWithoutAKeyserverCall() {
    KeywardClient client = keyserver.client();
    Map<String, String> withNull = new HashMap<>();
    withNull.put("k", null);
    assertThrows(IllegalArgumentException.class, () -> client.encrypt(new byte[1], withNull));
    assertThrows(IllegalArgumentException.class, () -> client.encrypt(new byte[1], null));
    assertThrows(IllegalArgumentException.class,
        () -> client.encrypt(new byte[1], Map.of("bad", "\uD800")));
    assertThrows(IllegalArgumentException.class, () -> client.encrypt("", new byte[1], CONTEXT));
    assertThrows(NullPointerException.class, () -> client.encrypt(null, CONTEXT));
    assertEquals(0, keyserver.fake.generateCalls.get());

    KeywardClient noDefault = KeywardClient.create(KeywardSettings.builder()
        .tokenSource(TokenSources.fixed("t")).build(), io.grpc.inprocess.InProcessChannelBuilder
        .forName("unused").build());
    try {
      assertThrows(IllegalArgumentException.class, () -> noDefault.encrypt(new byte[1], CONTEXT));
    } finally {
      noDefault.close();
    }
  }

  @Test
  void eachEncryptionIsFreshEvenUnderTheSameDataKey() {
    KeywardClient client = keyserver.client();
    byte[] a = client.encrypt(new byte[32], CONTEXT);
    byte[] b = client.encrypt(new byte[32], CONTEXT);
    assertNotEquals(TextForm.encode(a), TextForm.encode(b));
    assertEquals(1, keyserver.fake.generateCalls.get());
  }
}
