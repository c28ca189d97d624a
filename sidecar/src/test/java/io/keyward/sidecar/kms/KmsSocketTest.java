package io.keyward.sidecar.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.kms.v2.StatusRequest;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket file: owner-only mode, stale files replaced, live listeners and other files left alone. */
class KmsSocketTest {
  @TempDir Path dir;
  private KmsTestBed bed;

  @BeforeEach
  void setUp() throws Exception {
    bed = new KmsTestBed(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    bed.close();
  }

  @Test
  void socketIsOwnerOnlyAndRemovedOnClose() throws Exception {
    Path socket = bed.socket("kms.sock");
    KmsPlugin plugin = bed.start(bed.settings(socket).build());

    assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
        Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS));
    assertEquals("ok", bed.client(socket).status(StatusRequest.getDefaultInstance()).getHealthz());
    try (Stream<Path> files = Files.list(socket.getParent())) {
      assertEquals(List.of(socket), files.toList(), "no staging socket left behind");
    }

    plugin.close();

    assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void missingParentDirectoryIsCreatedOwnerOnly() throws Exception {
    Path socket = dir.resolve("new/nested/kms.sock");

    bed.start(bed.settings(socket).build());

    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
    assertEquals("v2", bed.client(socket).status(StatusRequest.getDefaultInstance()).getVersion());
  }

  @Test
  void staleSocketIsReplaced() throws Exception {
    Path socket = bed.socket("kms.sock");
    Files.createDirectories(socket.getParent());
    // A crashed process: the socket file stays, nobody listens.
    try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      crashed.bind(UnixDomainSocketAddress.of(socket));
    }
    assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));

    bed.start(bed.settings(socket).build());

    assertEquals("ok", bed.client(socket).status(StatusRequest.getDefaultInstance()).getHealthz());
  }

  @Test
  void staleStagingSocketOfACrashedStartIsRemoved() throws Exception {
    Path socket = bed.socket("kms.sock");
    Files.createDirectories(socket.getParent());
    Path leftover = SocketFiles.stagingName(socket, "0123456789abcdef");
    try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      crashed.bind(UnixDomainSocketAddress.of(leftover));
    }
    Path unrelated = Files.writeString(socket.resolveSibling(".kms.sock.notes"), "keep");

    bed.start(bed.settings(socket).build());

    assertFalse(Files.exists(leftover, LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.exists(unrelated), "only sockets are removed");
  }

  @Test
  void liveSocketIsRefusedAndKeepsWorking() throws Exception {
    Path socket = bed.socket("kms.sock");
    bed.start(bed.settings(socket).build());
    Object before = SocketFiles.fileKey(socket);

    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> bed.start(bed.settings(socket).build()));

    assertTrue(e.getMessage().contains("another process is listening"), e.getMessage());
    assertEquals(before, SocketFiles.fileKey(socket));
    assertEquals("ok", bed.client(socket).status(StatusRequest.getDefaultInstance()).getHealthz());
  }

  @Test
  void aFileThatIsNotASocketIsNeverReplaced() throws Exception {
    Path socket = bed.socket("kms.sock");
    Files.createDirectories(socket.getParent());
    Files.writeString(socket, "important");

    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> bed.start(bed.settings(socket).build()));

    assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
    assertEquals("important", Files.readString(socket));
  }

  @Test
  void closeLeavesASocketThatAnotherPluginTookOver() throws Exception {
    Path socket = bed.socket("kms.sock");
    KmsPlugin first = bed.start(bed.settings(socket).build());
    Files.delete(socket); // e.g. an operator cleaned up, and a new plugin started
    bed.start(bed.settings(socket).build());

    first.close();

    assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
    assertEquals("ok", bed.client(socket).status(StatusRequest.getDefaultInstance()).getHealthz());
  }
}
