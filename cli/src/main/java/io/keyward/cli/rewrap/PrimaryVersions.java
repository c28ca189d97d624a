package io.keyward.cli.rewrap;

import io.grpc.StatusRuntimeException;
import io.keyward.api.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import io.keyward.api.v1.GetKeyRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * The primary version of each key, read once per run with GetKey, so that ciphertexts already
 * under the primary are left alone. A caller without read-key permission gets "unknown" and every
 * ciphertext is rewrapped, which is correct but does more work.
 */
public final class PrimaryVersions {
  private final Supplier<AdminServiceBlockingStub> admin;
  private final Map<String, OptionalInt> primaries = new HashMap<>();

  public PrimaryVersions(Supplier<AdminServiceBlockingStub> admin) {
    this.admin = admin;
  }

  /** The key's primary version, or empty when it cannot be read. */
  public synchronized OptionalInt primary(String keyName) {
    return primaries.computeIfAbsent(keyName, name -> {
      try {
        return OptionalInt.of(admin.get().getKey(GetKeyRequest.newBuilder().setName(name).build()).getPrimaryVersion());
      } catch (StatusRuntimeException e) {
        return OptionalInt.empty();
      }
    });
  }
}
