package io.keyward.keyserver.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads a JWKS file (e.g. a mounted ConfigMap). Only re-reads when the file's modification time,
 * size or identity changed, so frequent checks cost one {@code stat}.
 */
final class FileJwksLoader implements JwksLoader {
  private final Path file;
  private Object lastVersion;

  FileJwksLoader(Path file) {
    this.file = file;
  }

  @Override
  public Optional<String> load() throws IOException {
    BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
    if (attrs.size() > JwksPolicy.MAX_DOCUMENT_CHARS) {
      throw new IOException("JWKS file " + file + " is larger than " + JwksPolicy.MAX_DOCUMENT_CHARS + " bytes");
    }
    // Kubernetes swaps ConfigMap files through a symlink, which changes the file key.
    Object version = java.util.List.of(attrs.lastModifiedTime(), attrs.size(), String.valueOf(attrs.fileKey()));
    if (Objects.equals(version, lastVersion)) {
      return Optional.empty();
    }
    String json = Files.readString(file, StandardCharsets.UTF_8);
    lastVersion = version;
    return Optional.of(json);
  }

  @Override
  public String toString() {
    return "file " + file;
  }
}
