package io.keyward.sidecar.kms;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/** Unix-socket file housekeeping: parent directory, stale sockets, the live-listener check. */
final class SocketFiles {
  private SocketFiles() {}

  /**
   * Makes {@code socket} free for a new listener. Creates a missing parent directory (0700);
   * removes a socket file nobody listens on (left by a crash); refuses a socket another process
   * answers on, and anything that is not a socket.
   */
  static void prepare(Path socket) throws IOException {
    Path parent = socket.getParent();
    if (!Files.isDirectory(parent)) {
      Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    removeStaleStagingSockets(socket);
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if (!attrs.isOther()) {
      throw new FileAlreadyExistsException(socket.toString(), null, "exists and is not a socket; not replacing it");
    }
    if (isLive(socket)) {
      throw new FileAlreadyExistsException(
          socket.toString(), null, "another process is listening on this socket (or it cannot be probed)");
    }
    Files.deleteIfExists(socket);
  }

  /** The name a new listener binds first; renamed over {@code socket} once it is 0600. */
  static Path stagingName(Path socket, String randomHex) {
    return socket.resolveSibling("." + socket.getFileName() + "." + randomHex);
  }

  /** Staging sockets left by a plugin that died between bind and rename. */
  private static void removeStaleStagingSockets(Path socket) throws IOException {
    String prefix = "." + socket.getFileName() + ".";
    try (DirectoryStream<Path> files = Files.newDirectoryStream(socket.getParent(),
        p -> p.getFileName().toString().startsWith(prefix))) {
      for (Path p : files) {
        if (Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther() && !isLive(p)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Whether a process accepts connections on {@code socket}. */
  static boolean isLive(Path socket) {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (ConnectException e) {
      return false; // ECONNREFUSED: a file without a listener
    } catch (IOException e) {
      return true; // cannot tell (e.g. no permission): assume someone owns it
    }
  }

  /** The inode-level identity of a file, so we only ever delete the socket we bound. */
  static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }
}
