package io.keyward.keyserver.rootkey;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A root key of 32 random bytes kept in a file (development and single-node setups). The file holds
 * the raw bytes, nothing else. See {@link SecretFiles} for the permission policy: a file that other
 * users can read is refused.
 */
public final class FileRootKey implements RootKey {
  private static final Logger log = LoggerFactory.getLogger(FileRootKey.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String WHAT = "root key file";

  private final AesGcmKey key;
  private final Path file;

  private FileRootKey(AesGcmKey key, Path file) {
    this.key = key;
    this.file = file;
  }

  /**
   * Loads the root key from {@code file}.
   *
   * @throws RootKeyException when the file is missing, not exactly 32 bytes, or accessible by other
   *     users (POSIX); the message names the file and the problem, never key bytes
   */
  public static FileRootKey load(Path file) throws RootKeyException {
    byte[] material = SecretFiles.read(file, WHAT, AesGcmKey.KEY_BYTES, AesGcmKey.KEY_BYTES);
    try {
      return new FileRootKey(new AesGcmKey(material), file);
    } finally {
      Arrays.fill(material, (byte) 0);
    }
  }

  /**
   * Development mode: loads {@code file}, or first creates it with 32 fresh random bytes, mode
   * 0600, written to a temporary file, synced, and linked into place so that a reader never sees a
   * partial key and two racing starts end up with the same key.
   */
  public static FileRootKey createIfMissing(Path file) throws RootKeyException {
    if (Files.exists(file)) {
      return load(file);
    }
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    boolean posix = target.getFileSystem().supportedFileAttributeViews().contains("posix");
    byte[] material = new byte[AesGcmKey.KEY_BYTES];
    RANDOM.nextBytes(material);
    Path tmp = null;
    try {
      if (posix) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        tmp =
            Files.createTempFile(
                dir,
                ".rootkey-",
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createDirectories(dir);
        tmp = Files.createTempFile(dir, ".rootkey-", ".tmp");
      }
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(material);
        while (buffer.hasRemaining()) {
          ch.write(buffer);
        }
        ch.force(true);
      }
      try {
        Files.createLink(target, tmp); // fails if the target exists: never replaces a key
        log.info("created a new root key file {}", target);
      } catch (FileAlreadyExistsException lostRace) {
        log.info("root key file {} appeared meanwhile; using it", target);
      } catch (UnsupportedOperationException | FileSystemException noHardLinks) {
        Files.move(tmp, target); // no REPLACE_EXISTING: still never replaces a key
        log.info("created a new root key file {}", target);
      }
      syncDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      log.info("root key file {} appeared meanwhile; using it", target);
    } catch (IOException e) {
      throw new RootKeyException("cannot create " + WHAT + " " + target, e);
    } finally {
      Arrays.fill(material, (byte) 0);
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          log.warn("cannot delete temporary file {}", tmp, e);
        }
      }
    }
    return load(target);
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      log.debug("cannot sync directory {}", dir, e); // not possible on every platform
    }
  }

  /** The key's fingerprint (16 hex digits of an HMAC under the key); not secret. */
  @Override
  public String id() {
    return key.id();
  }

  /** AES-256-GCM with a fresh random nonce; the result opens only with this key and {@code aad}. */
  @Override
  public byte[] wrap(byte[] plaintext, byte[] aad) {
    return key.wrap(plaintext, aad);
  }

  /**
   * @throws RootKeyException when {@code wrapped} was not made by this key with this {@code aad},
   *     or was changed
   */
  @Override
  public byte[] unwrap(byte[] wrapped, byte[] aad) throws RootKeyException {
    return key.unwrap(wrapped, aad);
  }

  /** Stops further use (later calls fail with UNAVAILABLE). */
  @Override
  public void close() {
    key.close();
  }

  @Override
  public String toString() {
    return "FileRootKey[id=" + key.id() + ", file=" + file + "]";
  }
}
