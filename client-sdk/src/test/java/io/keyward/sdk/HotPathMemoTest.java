package io.keyward.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The per-thread memo of the last data key that makes repeated calls cheap must never serve
 * what the caches would not: a key past its age, after close(), for a changed context map, or
 * for a ciphertext with another version or wrapped DEK.
 */
class HotPathMemoTest {
  @RegisterExtension final InProcessKeyserver keyserver = new InProcessKeyserver();

  @Test
  void decryptMemoEndsWithTheCacheMaxAgeAndThenSeesARefusal() {
    KeywardClient client = keyserver.client(b -> b.decryptKeyMaxAge(Duration.ofMinutes(1)));
    Map<String, String> context = Map.of("tenant", "acme");
    byte[] ct = client.encrypt(new byte[5], context);
    KeywardClient reader = keyserver.client(b -> b.decryptKeyMaxAge(Duration.ofMinutes(1)));
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(new byte[5], reader.decrypt(ct, context));
    }
    assertEquals(1, keyserver.fake.decryptCalls.get());
    keyserver.clock.advance(Duration.ofSeconds(59));
    reader.decrypt(ct, context);
    assertEquals(1, keyserver.fake.decryptCalls.get());
    keyserver.clock.advance(Duration.ofSeconds(1));
    keyserver.fake.deny(InProcessKeyserver.KEY);
    assertThrows(PermissionDeniedException.class, () -> reader.decrypt(ct, context));
    assertThrows(PermissionDeniedException.class, () -> reader.decrypt(ct, context));
    assertEquals(3, keyserver.fake.decryptCalls.get());
  }

  @Test
  void aMutatedContextMapIsNotMistakenForTheRememberedOne() {
    KeywardClient client = keyserver.client();
    Map<String, String> context = new HashMap<>(Map.of("tenant", "acme"));
    byte[] ct = client.encrypt(new byte[5], context);
    assertArrayEquals(new byte[5], client.decrypt(ct, context));
    context.put("tenant", "evil");
    assertThrows(DecryptionFailedException.class, () -> client.decrypt(ct, context));
    // Encrypting under the mutated map binds the new value, not the remembered one.
    byte[] other = client.encrypt(new byte[5], context);
    assertThrows(DecryptionFailedException.class,
        () -> client.decrypt(other, Map.of("tenant", "acme")));
    assertArrayEquals(new byte[5], client.decrypt(other, Map.of("tenant", "evil")));
  }

  @Test
  void closeVoidsTheMemos() {
    KeywardClient client = keyserver.client();
    Map<String, String> context = Map.of();
    byte[] ct = client.encrypt(new byte[1], context);
    client.decrypt(ct, context);
    assertEquals(1, keyserver.fake.decryptCalls.get());
    client.close(); // drops the caches; the test's channel stays open
    client.decrypt(ct, context);
    assertEquals(2, keyserver.fake.decryptCalls.get());
    client.encrypt(new byte[1], context);
    assertEquals(2, keyserver.fake.generateCalls.get());
  }

  @Test
  void aChangedVersionMissesTheMemoAndFails() {
    KeywardClient client = keyserver.client();
    Map<String, String> context = Map.of("k", "v");
    byte[] ct = client.encrypt(new byte[1], context);
    client.decrypt(ct, context);
    byte[] bad = ct.clone();
    bad[3 + InProcessKeyserver.KEY.length() + 3] ^= 2; // version 1 -> 3
    assertThrows(DecryptionFailedException.class, () -> client.decrypt(bad, context));
    assertEquals(2, keyserver.fake.decryptCalls.get()); // it asked, the keyserver said version 1
    assertArrayEquals(new byte[1], client.decrypt(ct, context));
  }
}
