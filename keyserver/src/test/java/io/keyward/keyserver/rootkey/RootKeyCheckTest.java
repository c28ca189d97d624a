package io.keyward.keyserver.rootkey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.Stores;
import io.keyward.keyserver.store.WrappedSecret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootKeyCheckTest {
  @TempDir Path dir;

  @Test
  void firstStartStoresTheCheckAndLaterStartsVerifyIt() throws Exception {
    try (JdbcKeyStore store = Stores.open(dir.resolve("k.db").toString());
        FileRootKey key = FileRootKey.createIfMissing(dir.resolve("root.key"))) {
      RootKeyCheck.verifyOrInitialize(store, key);
      byte[] check = store.metadata(RootKeyCheck.METADATA).orElseThrow();
      RootKeyCheck.verifyOrInitialize(store, key);
      assertArrayEquals(
          check, store.metadata(RootKeyCheck.METADATA).orElseThrow(), "verify must not rewrite");
    }
  }

  @Test
  void anotherKeyFileIsRefused() throws Exception {
    try (JdbcKeyStore store = Stores.open(dir.resolve("k.db").toString());
        FileRootKey key = FileRootKey.createIfMissing(dir.resolve("root.key"));
        FileRootKey other = FileRootKey.createIfMissing(dir.resolve("other.key"))) {
      RootKeyCheck.verifyOrInitialize(store, key);
      RootKeyException e =
          assertThrows(RootKeyException.class, () -> RootKeyCheck.verifyOrInitialize(store, other));
      assertEquals(RootKeyCheck.MISMATCH, e.getMessage());
    }
  }

  @Test
  void storeWithKeysOfAnotherRootKeyIsRefusedEvenWithoutACheckValue() throws Exception {
    try (JdbcKeyStore store = Stores.open(dir.resolve("k.db").toString());
        FileRootKey key = FileRootKey.createIfMissing(dir.resolve("root.key"));
        FileRootKey other = FileRootKey.createIfMissing(dir.resolve("other.key"))) {
      store.createKey(
          "payments",
          KeySettings.NONE,
          new WrappedSecret(
              key.id(), key.wrap(new byte[32], "payments/1".getBytes(StandardCharsets.UTF_8))),
          Instant.parse("2026-01-01T00:00:00Z"));
      assertEquals(
          RootKeyCheck.MISMATCH,
          assertThrows(RootKeyException.class, () -> RootKeyCheck.verifyOrInitialize(store, other))
              .getMessage());
      assertTrue(store.metadata(RootKeyCheck.METADATA).isEmpty());
      RootKeyCheck.verifyOrInitialize(store, key);
      assertTrue(store.metadata(RootKeyCheck.METADATA).isPresent());
    }
  }

  @Test
  void corruptCheckValueIsRefused() throws Exception {
    try (JdbcKeyStore store = Stores.open(dir.resolve("k.db").toString());
        FileRootKey key = FileRootKey.createIfMissing(dir.resolve("root.key"))) {
      store.putMetadata(RootKeyCheck.METADATA, new byte[] {1, 2, 3});
      assertEquals(
          RootKeyCheck.MISMATCH,
          assertThrows(RootKeyException.class, () -> RootKeyCheck.verifyOrInitialize(store, key))
              .getMessage());
    }
  }
}
