package io.keyward.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Reads the local API's JSON request items. Unknown fields are rejected, so that a misspelt
 * {@code "contxt"} cannot silently encrypt without a context.
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

  static EncryptItem encryptItem(JsonNode n, String where) {
    object(n, where, ENCRYPT_FIELDS);
    JsonNode key = n.get("key");
    if (key != null && !key.isNull() && !key.isTextual()) {
      throw bad(where + "key must be a string");
    }
    JsonNode pt = n.get("plaintext");
    if (pt == null || !pt.isTextual()) {
      throw bad(where + "plaintext is required and must be a base64 string");
    }
    byte[] plaintext;
    try {
      if (pt.textValue().length() % 4 != 0) {
        throw new IllegalArgumentException("unpadded");
      }
      plaintext = Base64.getDecoder().decode(pt.textValue());
    } catch (IllegalArgumentException e) {
      throw bad(where + "plaintext is not valid base64 (RFC 4648, with padding)");
    }
    return new EncryptItem(key == null || key.isNull() ? null : key.textValue(), plaintext,
        context(n.get("context"), where));
  }

  static DecryptItem decryptItem(JsonNode n, String where) {
    object(n, where, DECRYPT_FIELDS);
    JsonNode ct = n.get("ciphertext");
    if (ct == null || !ct.isTextual()) {
      throw bad(where + "ciphertext is required and must be a string");
    }
    return new DecryptItem(ct.textValue(), context(n.get("context"), where));
  }

  /** The {@code items} array of a batch request, bounded. */
  static JsonNode items(JsonNode root, int max) {
    object(root, "", Set.of("items"));
    JsonNode items = root.get("items");
    if (items == null || !items.isArray()) {
      throw bad("items is required and must be a list");
    }
    if (items.size() > max) {
      throw bad("items has " + items.size() + " entries; the limit is " + max);
    }
    return items;
  }

  private static void object(JsonNode n, String where, Set<String> fields) {
    if (n == null || !n.isObject()) {
      throw bad((where.isEmpty() ? "request body" : where.substring(0, where.length() - 1))
          + " must be a JSON object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!fields.contains(f)) {
        throw bad(where + "unknown field '" + SidecarConfig.quote(f) + "'; expected " 
            + new java.util.TreeSet<>(fields));
      }
    }
  }

  private static Map<String, String> context(JsonNode n, String where) {
    if (n == null || n.isNull()) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw bad(where + "context must be a JSON object of strings");
    }
    Map<String, String> m = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw bad(where + "context value of '" + SidecarConfig.quote(e.getKey())
            + "' must be a string");
      }
      m.put(e.getKey(), e.getValue().textValue());
    }
    return m;
  }

  static ApiError.ApiException bad(String message) {
    return new ApiError.ApiException(ApiError.malformed(message));
  }
}
