package io.keyward.sdk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.function.Supplier;

/** The token sources the SDK ships. None of them prints its token in {@code toString()}. */
public final class TokenSources {
  private TokenSources() {}

  /** Always the same token (tests, short-lived jobs). */
  public static TokenSource fixed(String token) {
    String checked = checkToken(token);
    return new TokenSource() {
      @Override
      public String token() {
        return checked;
      }

      @Override
      public String toString() {
        return "TokenSources.fixed(REDACTED)";
      }
    };
  }

  /**
   * A token file, such as a Kubernetes projected service-account token, re-read whenever it
   * changes. The kubelet replaces the file by swapping a symlink, so a change is noticed by the
   * resolved path, modification time or size; an unchanged file is not read again.
   */
  public static TokenSource file(Path path) {
    Objects.requireNonNull(path, "token file path");
    return new FileTokenSource(path);
  }

  /** Asks {@code supplier} on every call (for tokens managed elsewhere, e.g. a SPIFFE agent). */
  public static TokenSource supplier(Supplier<String> supplier) {
    Objects.requireNonNull(supplier, "token supplier");
    return new TokenSource() {
      @Override
      public String token() {
        return checkToken(supplier.get());
      }

      @Override
      public String toString() {
        return "TokenSources.supplier(REDACTED)";
      }
    };
  }

  /** A token must be non-empty printable ASCII without spaces (it goes into an HTTP/2 header). */
  static String checkToken(String token) {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("token must not be empty");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= 0x20 || c >= 0x7F) {
        throw new IllegalArgumentException(
            "token must be printable ASCII without spaces (bad character at index " + i + ")");
      }
    }
    return token;
  }

  private static final class FileTokenSource implements TokenSource {
    private final Path path;
    private volatile Snapshot last;

    private record Snapshot(Path realPath, FileTime modified, long size, String token) {
      @Override
      public String toString() {
        return "Snapshot[REDACTED]";
      }
    }

    FileTokenSource(Path path) {
      this.path = path;
    }

    @Override
    public String token() {
      try {
        Path real = path.toRealPath();
        BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class);
        Snapshot s = last;
        if (s != null && s.realPath.equals(real) && s.modified.equals(attrs.lastModifiedTime())
            && s.size == attrs.size()) {
          return s.token;
        }
        if (attrs.size() > 64 * 1024) {
          throw new IllegalStateException("token file is larger than 64 KiB: " + path);
        }
        String token = checkToken(new String(Files.readAllBytes(real), StandardCharsets.US_ASCII)
            .strip());
        last = new Snapshot(real, attrs.lastModifiedTime(), attrs.size(), token);
        return token;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read token file " + path, e);
      }
    }

    @Override
    public String toString() {
      return "TokenSources.file(" + path + ")";
    }
  }
}
