package io.keyward.keyserver.rootkey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.testing.Wycheproof;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRootKeyTest {
  private static final byte[] AAD = "payments/v1".getBytes(StandardCharsets.UTF_8);
  private static final HexFormat HEX = HexFormat.of();

  @TempDir Path dir;

  private FileRootKey newKey(String name) throws RootKeyException {
    return FileRootKey.createIfMissing(dir.resolve(name));
  }

  @Test
  void wrapUnwrapRoundTrip() throws Exception {
    try (FileRootKey key = newKey("root.key")) {
      byte[] secret =
          HEX.parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
      byte[] wrapped = key.wrap(secret, AAD);
      assertEquals(1 + 12 + 32 + 16, wrapped.length);
      assertArrayEquals(secret, key.unwrap(wrapped, AAD));
      assertFalse(
          java.util.Arrays.equals(wrapped, key.wrap(secret, AAD)), "nonce must be fresh per wrap");
      assertArrayEquals(new byte[0], key.unwrap(key.wrap(new byte[0], new byte[0]), new byte[0]));
    }
  }

  @Test
  void wrongAadTamperingAndOtherKeysFail() throws Exception {
    try (FileRootKey key = newKey("a.key");
        FileRootKey other = newKey("b.key")) {
      byte[] wrapped = key.wrap(new byte[32], AAD);
      assertThrows(
          RootKeyException.class,
          () -> key.unwrap(wrapped, "payments/v2".getBytes(StandardCharsets.UTF_8)));
      assertThrows(RootKeyException.class, () -> other.unwrap(wrapped, AAD));
      List<String> failures = new ArrayList<>();
      for (int i = 0; i < wrapped.length; i++) {
        for (int bit = 0; bit < 8; bit++) {
          byte[] tampered = wrapped.clone();
          tampered[i] ^= (byte) (1 << bit);
          try {
            key.unwrap(tampered, AAD);
            failures.add("byte " + i + " bit " + bit + " accepted");
          } catch (RootKeyException expected) {
            // the tampered value must not open
          }
        }
      }
      assertEquals(List.of(), failures);
      assertThrows(
          RootKeyException.class, () -> key.unwrap(java.util.Arrays.copyOf(wrapped, 28), AAD));
      assertThrows(RootKeyException.class, () -> key.unwrap(new byte[0], AAD));
      RootKeyException e = assertThrows(RootKeyException.class, () -> other.unwrap(wrapped, AAD));
      assertTrue(e.getMessage().contains(other.id()), e.getMessage());
    }
  }

  @Test
  void wycheproofAesGcmVectorsThroughUnwrap() {
    JsonNode root = Wycheproof.load("aes_gcm_test.json");
    List<String> failures = new ArrayList<>();
    int run = 0;
    for (JsonNode group : root.get("testGroups")) {
      if (group.get("keySize").asInt() != 256
          || group.get("ivSize").asInt() != 96
          || group.get("tagSize").asInt() != 128) {
        continue;
      }
      for (JsonNode t : group.get("tests")) {
        run++;
        AesGcmKey key = new AesGcmKey(HEX.parseHex(t.get("key").asText()));
        byte[] iv = HEX.parseHex(t.get("iv").asText());
        byte[] ct = HEX.parseHex(t.get("ct").asText());
        byte[] tag = HEX.parseHex(t.get("tag").asText());
        byte[] wrapped = new byte[1 + iv.length + ct.length + tag.length];
        wrapped[0] = 1;
        System.arraycopy(iv, 0, wrapped, 1, iv.length);
        System.arraycopy(ct, 0, wrapped, 1 + iv.length, ct.length);
        System.arraycopy(tag, 0, wrapped, 1 + iv.length + ct.length, tag.length);
        byte[] aad = HEX.parseHex(t.get("aad").asText());
        String result = t.get("result").asText();
        try {
          byte[] msg = key.unwrap(wrapped, aad);
          if (result.equals("invalid")) {
            failures.add("tcId " + t.get("tcId") + ": invalid vector opened");
          } else if (!HEX.formatHex(msg).equals(t.get("msg").asText())) {
            failures.add("tcId " + t.get("tcId") + ": wrong plaintext");
          }
        } catch (RootKeyException e) {
          if (result.equals("valid")) {
            failures.add("tcId " + t.get("tcId") + ": valid vector refused");
          }
        }
      }
    }
    assertTrue(run > 10, "too few vectors: " + run);
    assertEquals(List.of(), failures);
  }

  @Test
  void createdFileIsOwnerOnlyAndStable() throws Exception {
    Path file = dir.resolve("sub/root.key");
    String id;
    try (FileRootKey key = FileRootKey.createIfMissing(file)) {
      id = key.id();
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(32, Files.size(file));
    try (FileRootKey again = FileRootKey.createIfMissing(file);
        FileRootKey loaded = FileRootKey.load(file)) {
      assertEquals(id, again.id());
      assertEquals(id, loaded.id());
    }
    try (var listing = Files.list(file.getParent())) {
      assertEquals(List.of(file), listing.toList(), "no temporary files left behind");
    }
  }

  @Test
  void badFilesAreRefusedWithClearMessages() throws IOException {
    Path missing = dir.resolve("missing.key");
    assertEquals(
        "root key file " + missing + " does not exist",
        assertThrows(RootKeyException.class, () -> FileRootKey.load(missing)).getMessage());

    Path shortFile = writeOwnerOnly("short.key", new byte[31]);
    assertEquals(
        "root key file " + shortFile + " must hold exactly 32 bytes, got 31",
        assertThrows(RootKeyException.class, () -> FileRootKey.load(shortFile)).getMessage());

    Path longFile = writeOwnerOnly("long.key", new byte[33]);
    assertEquals(
        "root key file " + longFile + " must hold exactly 32 bytes, got 33",
        assertThrows(RootKeyException.class, () -> FileRootKey.load(longFile)).getMessage());

    Path shared = writeOwnerOnly("shared.key", new byte[32]);
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-r--r--"));
    assertEquals(
        "root key file " + shared + " is accessible by other users (mode rw-r--r--); chmod 600 it",
        assertThrows(RootKeyException.class, () -> FileRootKey.load(shared)).getMessage());

    assertThrows(RootKeyException.class, () -> FileRootKey.load(dir));
  }

  @Test
  void groupReadableFileIsAcceptedWithAWarning() throws Exception {
    Path file = writeOwnerOnly("group.key", new byte[32]);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r-----"));
    try (FileRootKey key = FileRootKey.load(file)) {
      assertEquals(16, key.id().length());
    }
  }

  @Test
  void toStringAndIdShowNoKeyBytes() throws Exception {
    Path file = dir.resolve("root.key");
    try (FileRootKey key = FileRootKey.createIfMissing(file)) {
      String material = HEX.formatHex(Files.readAllBytes(file));
      String shown = key.toString() + " " + key.id();
      for (int i = 0; i + 8 <= material.length(); i += 2) {
        assertFalse(shown.contains(material.substring(i, i + 8)), "key bytes in " + shown);
      }
      assertTrue(key.toString().contains(key.id()));
      assertNotEquals(material.substring(0, 16), key.id());
    }
  }

  @Test
  void closedKeyIsUnavailable() throws Exception {
    FileRootKey key = newKey("root.key");
    byte[] wrapped = key.wrap(new byte[32], AAD);
    key.close();
    assertEquals(
        ErrorCode.UNAVAILABLE,
        assertThrows(KeyserverException.class, () -> key.wrap(new byte[32], AAD)).code());
    assertEquals(
        ErrorCode.UNAVAILABLE,
        assertThrows(KeyserverException.class, () -> key.unwrap(wrapped, AAD)).code());
  }

  private Path writeOwnerOnly(String name, byte[] content) throws IOException {
    Path file =
        Files.createFile(
            dir.resolve(name),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(file, content);
    return file;
  }
}
