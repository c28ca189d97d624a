package io.keyward.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenSourcesTest {
  @TempDir Path dir;

  @Test
  void fileIsReReadWhenTheKubeletSwapsTheSymlink() throws Exception {
    // The kubelet's layout: token -> ..data/token, ..data -> ..<timestamp> (swapped atomically).
    Path v1 = Files.createDirectory(dir.resolve("..2026_01_01"));
    Files.writeString(v1.resolve("token"), "first.jwt\n");
    Path data = Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Path token = Files.createSymbolicLink(dir.resolve("token"), Path.of("..data", "token"));
    TokenSource source = TokenSources.file(token);
    assertEquals("first.jwt", source.token());

    Path v2 = Files.createDirectory(dir.resolve("..2026_01_02"));
    Files.writeString(v2.resolve("token"), "second.jwt");
    Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
    Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    assertEquals("second.jwt", source.token());
  }

  @Test
  void fileRewrittenInPlaceIsReRead() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "aaa.jwt");
    TokenSource source = TokenSources.file(token);
    assertEquals("aaa.jwt", source.token());
    Files.writeString(token, "bbbb.jwt");
    assertEquals("bbbb.jwt", source.token());
  }

  @Test
  void missingOrMalformedTokensAreRefused() throws Exception {
    assertThrows(UncheckedIOException.class, () -> TokenSources.file(dir.resolve("nope")).token());
    Path spaced = Files.writeString(dir.resolve("spaced"), "two words");
    assertThrows(IllegalArgumentException.class, () -> TokenSources.file(spaced).token());
    assertThrows(IllegalArgumentException.class, () -> TokenSources.fixed(""));
    assertThrows(IllegalArgumentException.class, () -> TokenSources.fixed("a\r\nb"));
    assertThrows(IllegalArgumentException.class, () -> TokenSources.supplier(() -> null).token());
  }

  @Test
  void supplierIsAskedEveryTime() {
    AtomicInteger n = new AtomicInteger();
    TokenSource source = TokenSources.supplier(() -> "t" + n.incrementAndGet());
    assertEquals("t1", source.token());
    assertEquals("t2", source.token());
  }

  @Test
  void tokensNeverShowInToString() throws Exception {
    String secret = "eyJhbGciOiJFUzI1NiJ9.secret.sig";
    Path file = Files.writeString(dir.resolve("t"), secret);
    TokenSource fromFile = TokenSources.file(file);
    fromFile.token();
    for (Object o : new Object[] {TokenSources.fixed(secret), fromFile,
        TokenSources.supplier(() -> secret),
        KeywardSettings.builder().tokenSource(TokenSources.fixed(secret)).build()}) {
      assertFalse(o.toString().contains("secret"), o.toString());
    }
  }
}
