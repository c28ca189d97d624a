package io.keyward.sdk.aead;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.sdk.DecryptionFailedException;
import io.keyward.testing.Wycheproof;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Project Wycheproof AES-GCM vectors through the SDK's AEAD layer ({@link AesGcm}, the code every
 * message and segment goes through): every 256-bit-key, 96-bit-nonce, 128-bit-tag case must seal
 * to its ciphertext and tag when valid, and fail to open when invalid.
 */
class WycheproofAesGcmTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void aes256Gcm96BitNonceVectorsBehaveAsTheirResultSays() {
    JsonNode root = Wycheproof.load("aes_gcm_test.json");
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (JsonNode group : root.get("testGroups")) {
      if (group.get("keySize").asInt() != 256 || group.get("ivSize").asInt() != 96
          || group.get("tagSize").asInt() != 128) {
        continue;
      }
      for (JsonNode t : group.get("tests")) {
        checked++;
        String id = "tcId " + t.get("tcId").asInt();
        try {
          check(t, id, failures);
        } catch (RuntimeException e) {
          failures.add(id + ": unexpected " + e);
        }
      }
    }
    assertTrue(checked > 20, "too few AES-256-GCM/96 vectors found: " + checked);
    assertTrue(failures.isEmpty(), checked + " checked; failures:\n" + String.join("\n", failures));
  }

  private static void check(JsonNode t, String id, List<String> failures) {
    SecretKey key = new SecretKeySpec(HEX.parseHex(t.get("key").asText()), "AES");
    byte[] iv = HEX.parseHex(t.get("iv").asText());
    byte[] aad = HEX.parseHex(t.get("aad").asText());
    byte[] msg = HEX.parseHex(t.get("msg").asText());
    byte[] ct = HEX.parseHex(t.get("ct").asText());
    byte[] tag = HEX.parseHex(t.get("tag").asText());
    byte[] sealed = Arrays.copyOf(ct, ct.length + tag.length);
    System.arraycopy(tag, 0, sealed, ct.length, tag.length);
    String result = t.get("result").asText();

    byte[] opened = new byte[sealed.length];
    boolean openedOk;
    int n = 0;
    try {
      n = AesGcm.open(key, iv, 0, aad, aad.length, null, sealed, 0, sealed.length, opened, 0);
      openedOk = true;
    } catch (DecryptionFailedException e) {
      openedOk = false;
    }
    if (result.equals("valid")) {
      if (!openedOk || !Arrays.equals(msg, Arrays.copyOf(opened, n))) {
        failures.add(id + ": valid vector did not open to its message");
      }
      byte[] out = new byte[msg.length + AesGcm.TAG_BYTES];
      AesGcm.seal(key, iv, 0, aad, aad.length, null, msg, 0, msg.length, out, 0);
      if (!Arrays.equals(sealed, out)) {
        failures.add(id + ": sealing gave a different ciphertext or tag");
      }
    } else if (result.equals("invalid")) {
      if (openedOk) {
        failures.add(id + ": invalid vector opened (" + t.get("comment").asText() + ")");
      }
    } else {
      failures.add(id + ": unexpected result '" + result + "' for this parameter set");
    }
  }
}
