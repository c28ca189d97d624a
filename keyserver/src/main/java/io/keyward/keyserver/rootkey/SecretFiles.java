package io.keyward.keyserver.rootkey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads small secret files (root key, passphrase) and checks who else can read them.
 *
 * <p>Permission policy (POSIX file systems): refuse a file that others can access in any way or
 * that its group can write; warn, but accept, a group-readable file, because Kubernetes makes
 * secret volumes group-readable when the pod sets {@code fsGroup}. Recommended: mode 0400/0600
 * ({@code defaultMode: 0400} on a Secret volume).
 */
final class SecretFiles {
  private static final Logger log = LoggerFactory.getLogger(SecretFiles.class);

  private SecretFiles() {}

  /** Reads {@code file} whole after checking it exists, is small enough and is not shared. */
  static byte[] read(Path file, String what, int minBytes, int maxBytes) throws RootKeyException {
    if (!Files.exists(file)) {
      throw new RootKeyException(what + " " + file + " does not exist");
    }
    if (!Files.isRegularFile(file)) {
      throw new RootKeyException(what + " " + file + " is not a regular file");
    }
    try {
      checkPermissions(file, what);
      long size = Files.size(file);
      if (size < minBytes || size > maxBytes) {
        throw new RootKeyException(sizeMessage(file, what, minBytes, maxBytes, size));
      }
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length < minBytes || bytes.length > maxBytes) {
        throw new RootKeyException(sizeMessage(file, what, minBytes, maxBytes, bytes.length));
      }
      return bytes;
    } catch (IOException e) {
      throw new RootKeyException("cannot read " + what + " " + file, e);
    }
  }

  private static String sizeMessage(Path file, String what, int min, int max, long size) {
    String expected = min == max ? "exactly " + min : min + " to " + max;
    return what + " " + file + " must hold " + expected + " bytes, got " + size;
  }

  static void checkPermissions(Path file, String what) throws IOException, RootKeyException {
    if (!file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    String mode = PosixFilePermissions.toString(perms);
    if (perms.contains(PosixFilePermission.OTHERS_READ)
        || perms.contains(PosixFilePermission.OTHERS_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_EXECUTE)
        || perms.contains(PosixFilePermission.GROUP_WRITE)) {
      throw new RootKeyException(
          what + " " + file + " is accessible by other users (mode " + mode + "); chmod 600 it");
    }
    if (perms.contains(PosixFilePermission.GROUP_READ)) {
      log.warn("{} {} is readable by its group (mode {}); prefer mode 600", what, file, mode);
    }
  }
}
