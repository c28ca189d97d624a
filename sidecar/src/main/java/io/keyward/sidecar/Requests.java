package io.keyward.sidecar;

import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the local API's JSON request items. Unknown fields are rejected, so that a misspelt
 * {@code "contxt"} cannot silently encrypt without a context. Items are {@link
 * io.keyward.sidecar.json.JsonTree} values: a JSON {@code null} and a missing member both read as
 * {@code null}.
 */
final class Requests {
  private static final Set<String> ENCRYPT_FIELDS = Set.of("key", "plaintext", "context");
  private static final Set<String> DECRYPT_FIELDS = Set.of("ciphertext", "context");

  record EncryptItem(String key, byte[] plaintext, Map<String, String> context) {
    @Override
    public String toString() {
      return "EncryptItem[key=" + key + ", plaintext=REDACTED]";
    }
  }

  record DecryptItem(String ciphertext, Map<String, String> context) {}

  private Requests() {}

  static EncryptItem encryptItem(Object item, String where) {
    Map<?, ?> n = object(item, where, ENCRYPT_FIELDS);
    Object key = n.get("key");
    if (key != null && !(key instanceof String)) {
      throw bad(where + "key must be a string");
    }
    if (!(n.get("plaintext") instanceof String pt)) {
      throw bad(where + "plaintext is required and must be a base64 string");
    }
    byte[] plaintext;
    try {
      if (pt.length() % 4 != 0) {
        throw new IllegalArgumentException("unpadded");
      }
      plaintext = Base64.getDecoder().decode(pt);
    } catch (IllegalArgumentException e) {
      throw bad(where + "plaintext is not valid base64 (RFC 4648, with padding)");
    }
    return new EncryptItem((String) key, plaintext, context(n.get("context"), where));
  }

  static DecryptItem decryptItem(Object item, String where) {
    Map<?, ?> n = object(item, where, DECRYPT_FIELDS);
    if (!(n.get("ciphertext") instanceof String ct)) {
      throw bad(where + "ciphertext is required and must be a string");
    }
    return new DecryptItem(ct, context(n.get("context"), where));
  }

  /** The {@code items} array of a batch request, bounded. */
  static List<?> items(Object root, int max) {
    Map<?, ?> n = object(root, "", Set.of("items"));
    if (!(n.get("items") instanceof List<?> items)) {
      throw bad("items is required and must be a list");
    }
    if (items.size() > max) {
      throw bad("items has " + items.size() + " entries; the limit is " + max);
    }
    return items;
  }

  private static Map<?, ?> object(Object n, String where, Set<String> fields) {
    if (!(n instanceof Map<?, ?> object)) {
      throw bad((where.isEmpty() ? "request body" : where.substring(0, where.length() - 1))
          + " must be a JSON object");
    }
    for (Object f : object.keySet()) {
      if (!fields.contains(f)) {
        throw bad(where + "unknown field '" + SidecarConfig.quote((String) f) + "'; expected "
            + new java.util.TreeSet<>(fields));
      }
    }
    return object;
  }

  private static Map<String, String> context(Object n, String where) {
    if (n == null) {
      return Map.of();
    }
    if (!(n instanceof Map<?, ?> object)) {
      throw bad(where + "context must be a JSON object of strings");
    }
    Map<String, String> m = new HashMap<>();
    for (Map.Entry<?, ?> e : object.entrySet()) {
      if (!(e.getValue() instanceof String value)) {
        throw bad(where + "context value of '" + SidecarConfig.quote((String) e.getKey())
            + "' must be a string");
      }
      m.put((String) e.getKey(), value);
    }
    return m;
  }

  static ApiError.ApiException bad(String message) {
    return new ApiError.ApiException(ApiError.malformed(message));
  }
}
