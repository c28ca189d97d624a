package io.keyward.keyserver.rootkey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.Stores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PassphraseRootKeyTest {
  private static final String PASSPHRASE = "correct horse battery staple";
  private static final byte[] AAD = "k/1".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  private Path dbFile;
  private JdbcKeyStore store;

  @BeforeEach
  void open() {
    dbFile = dir.resolve("keyward.db");
    store = Stores.open(dbFile.toString());
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void derivationIsStableAcrossInstancesAndRestarts() throws Exception {
    byte[] wrapped;
    String id;
    try (PassphraseRootKey key = PassphraseRootKey.derive(PASSPHRASE.toCharArray(), store)) {
      id = key.id();
      wrapped = key.wrap(new byte[32], AAD);
      RootKeyCheck.verifyOrInitialize(store, key);
    }
    String kdf =
        new String(
            store.metadata(PassphraseRootKey.KDF_METADATA).orElseThrow(),
            StandardCharsets.US_ASCII);
    assertTrue(kdf.startsWith("argon2id$v=19$m=65536,t=3,p=1$"), kdf);

    store.close();
    store = Stores.open(dbFile.toString());
    try (PassphraseRootKey again = PassphraseRootKey.derive(PASSPHRASE.toCharArray(), store)) {
      assertEquals(id, again.id());
      assertArrayEquals(new byte[32], again.unwrap(wrapped, AAD));
      RootKeyCheck.verifyOrInitialize(store, again);
    }
  }

  @Test
  void sameSaltIsNotSharedAcrossStores() throws Exception {
    try (JdbcKeyStore otherStore = Stores.open(dir.resolve("other.db").toString());
        PassphraseRootKey a = PassphraseRootKey.derive(PASSPHRASE.toCharArray(), store);
        PassphraseRootKey b = PassphraseRootKey.derive(PASSPHRASE.toCharArray(), otherStore)) {
      assertNotEquals(a.id(), b.id());
    }
  }

  @Test
  void wrongPassphraseFailsTheStoreCheck() throws Exception {
    try (PassphraseRootKey key = PassphraseRootKey.derive(PASSPHRASE.toCharArray(), store)) {
      RootKeyCheck.verifyOrInitialize(store, key);
    }
    try (PassphraseRootKey wrong =
        PassphraseRootKey.derive("correct horse battery stapler".toCharArray(), store)) {
      RootKeyException e =
          assertThrows(RootKeyException.class, () -> RootKeyCheck.verifyOrInitialize(store, wrong));
      assertEquals(
          "the root key does not open this store (wrong key file or passphrase?)", e.getMessage());
    }
  }

  @Test
  void passphraseFileIsReadWithoutTrailingNewline() throws Exception {
    Path file =
        Files.createFile(
            dir.resolve("passphrase"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, PASSPHRASE + "\n");
    try (PassphraseRootKey fromFile = PassphraseRootKey.fromFile(file, store);
        PassphraseRootKey direct = PassphraseRootKey.derive(PASSPHRASE.toCharArray(), store)) {
      assertEquals(direct.id(), fromFile.id());
    }
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThrows(RootKeyException.class, () -> PassphraseRootKey.fromFile(file, store));
  }

  @Test
  void badPassphraseSourcesAreRefused() throws Exception {
    RootKeyException unset =
        assertThrows(
            RootKeyException.class,
            () -> PassphraseRootKey.fromEnvironment("KEYWARD_TEST_SURELY_UNSET_VARIABLE", store));
    assertEquals(
        "environment variable KEYWARD_TEST_SURELY_UNSET_VARIABLE (root key passphrase) is not set"
            + " or empty",
        unset.getMessage());
    RootKeyException tooShort =
        assertThrows(
            RootKeyException.class, () -> PassphraseRootKey.derive("short".toCharArray(), store));
    assertFalse(tooShort.getMessage().contains("short"));
    assertThrows(
        RootKeyException.class, () -> PassphraseRootKey.fromFile(dir.resolve("nope"), store));
  }

  @Test
  void tamperedParametersAreRefused() {
    store.putMetadata(
        PassphraseRootKey.KDF_METADATA,
        "argon2id$v=19$m=99999999,t=3,p=1$AAAAAAAAAAAAAAAAAAAAAA=="
            .getBytes(StandardCharsets.US_ASCII));
    assertThrows(
        RootKeyException.class, () -> PassphraseRootKey.derive(PASSPHRASE.toCharArray(), store));
    store.putMetadata(
        PassphraseRootKey.KDF_METADATA, "scrypt$whatever".getBytes(StandardCharsets.US_ASCII));
    assertThrows(
        RootKeyException.class, () -> PassphraseRootKey.derive(PASSPHRASE.toCharArray(), store));
  }

  @Test
  void toStringShowsNoPassphraseOrKey() throws Exception {
    try (PassphraseRootKey key = PassphraseRootKey.derive(PASSPHRASE.toCharArray(), store)) {
      String shown = key.toString();
      assertFalse(shown.contains("horse"), shown);
      assertTrue(shown.startsWith("PassphraseRootKey[id=" + key.id()), shown);
    }
  }
}
