package io.keyward.keyserver.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.rootkey.FileRootKey;
import io.keyward.keyserver.rootkey.RootKeyCheck;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.Stores;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which calls can be served from memory, i.e. on an I/O thread (real SQLite store, real root key). */
class KeyCatalogMemoryTest {
  @TempDir Path dir;

  @Test
  void aKeyIsInMemoryOnlyOnceItsRecordAndTheWantedSecretAreCached() throws Exception {
    try (JdbcKeyStore store = Stores.open("sqlite:" + dir.resolve("keyward.db"));
        FileRootKey rootKey = FileRootKey.createIfMissing(dir.resolve("root.key"))) {
      RootKeyCheck.verifyOrInitialize(store, rootKey);
      KeyCatalog catalog = new KeyCatalog(store, rootKey, Clock.systemUTC(), Duration.ofMinutes(1));
      catalog.create("orders", KeySettings.NONE);
      catalog.forget("orders");
      catalog.dropSecret("orders", 1); // as on another replica, or after a restart

      assertFalse(catalog.inMemory("orders", OptionalInt.empty()), "record not cached");
      assertFalse(catalog.inMemory("missing", OptionalInt.empty()));
      KeyRecord key = catalog.key("orders");
      assertFalse(catalog.inMemory("orders", OptionalInt.empty()), "secret not unwrapped yet");

      catalog.secret(key, key.primary());
      assertTrue(catalog.inMemory("orders", OptionalInt.empty()));
      assertTrue(catalog.inMemory("orders", OptionalInt.of(1)));
      assertFalse(catalog.inMemory("orders", OptionalInt.of(2)), "no such version");

      long hitsBefore = catalog.secretHits();
      catalog.inMemory("orders", OptionalInt.empty());
      assertEquals(hitsBefore, catalog.secretHits(), "a look is not a use: the hit ratio metric must not move");
    }
  }
}
