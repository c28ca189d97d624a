package io.keyward.sdk;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.DecryptDataKeyResponse;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.RewrapDataKeyRequest;
import io.keyward.api.v1.RewrapDataKeyResponse;
import io.keyward.sdk.format.CanonicalContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A small but real keyserver for SDK tests: it wraps fresh random DEKs with AES-GCM under
 * per-version keys, binds each wrap to key name, version and context, rotates, disables and
 * enforces a minimum version. It can be told to be down, to hang, to answer garbage, or to hold
 * generate calls at a gate (to prove that concurrent misses coalesce).
 *
 * <p>Wrapped DEK: u8 name length, name, u32 version, 12-byte nonce, GCM(DEK) with AAD = those
 * leading bytes || canonical context. Unwrap failures use the real keyserver's codes (see
 * {@link #unwrap}).
 */
final class FakeKeyserver extends KeyServiceGrpc.KeyServiceImplBase {
  enum Mode { UP, DOWN, HANG, GARBAGE }

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, List<SecretKey>> keys = new ConcurrentHashMap<>();
  private final Map<String, Integer> minVersion = new ConcurrentHashMap<>();
  private final Set<String> disabled = ConcurrentHashMap.newKeySet();
  private final Set<String> denied = ConcurrentHashMap.newKeySet();
  private final List<StreamObserver<?>> hanging = new ArrayList<>();
  final AtomicInteger generateCalls = new AtomicInteger();
  final AtomicInteger decryptCalls = new AtomicInteger();
  final AtomicInteger rewrapCalls = new AtomicInteger();
  volatile Mode mode = Mode.UP;
  volatile CountDownLatch generateGate;
  volatile CountDownLatch decryptGate;

  void createKey(String name) {
    keys.put(name, new ArrayList<>(List.of(newVersionKey())));
  }

  /** Adds a version and makes it primary; returns the new version number. */
  int rotate(String name) {
    List<SecretKey> versions = keys.get(name);
    synchronized (versions) {
      versions.add(newVersionKey());
      return versions.size();
    }
  }

  void disable(String name, int version) {
    disabled.add(name + "/" + version);
  }

  void setMinDecryptionVersion(String name, int version) {
    minVersion.put(name, version);
  }

  /** Denies every operation on {@code name} (a policy that does not list this caller). */
  void deny(String name) {
    denied.add(name);
  }

  private static SecretKey newVersionKey() {
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    return new SecretKeySpec(k, "AES");
  }

  @Override
  public void generateDataKey(GenerateDataKeyRequest request,
      StreamObserver<GenerateDataKeyResponse> response) {
    generateCalls.incrementAndGet();
    if (unusable(response)) {
      return;
    }
    pass(generateGate);
    String name = request.getKeyName();
    List<SecretKey> versions = keys.get(name);
    if (versions == null) {
      response.onError(Status.NOT_FOUND.withDescription("no such key").asRuntimeException());
      return;
    }
    if (denied.contains(name)) {
      response.onError(Status.PERMISSION_DENIED.asRuntimeException());
      return;
    }
    if (mode == Mode.GARBAGE) {
      response.onNext(GenerateDataKeyResponse.newBuilder()
          .setPlaintextDataKey(ByteString.copyFrom(new byte[31]))
          .setWrappedDataKey(ByteString.copyFrom(new byte[600]))
          .setKeyName("someone-else").setKeyVersion(0).build());
      response.onCompleted();
      return;
    }
    int version;
    SecretKey versionKey;
    synchronized (versions) {
      version = versions.size();
      versionKey = versions.get(version - 1);
    }
    byte[] dek = new byte[32];
    RANDOM.nextBytes(dek);
    byte[] wrapped = wrap(name, version, versionKey, dek, request.getEncryptionContextMap());
    response.onNext(GenerateDataKeyResponse.newBuilder()
        .setPlaintextDataKey(ByteString.copyFrom(dek))
        .setWrappedDataKey(ByteString.copyFrom(wrapped))
        .setKeyName(name)
        .setKeyVersion(version)
        .build());
    response.onCompleted();
  }

  @Override
  public void decryptDataKey(DecryptDataKeyRequest request,
      StreamObserver<DecryptDataKeyResponse> response) {
    decryptCalls.incrementAndGet();
    if (unusable(response)) {
      return;
    }
    pass(decryptGate);
    if (mode == Mode.GARBAGE) {
      response.onNext(DecryptDataKeyResponse.newBuilder()
          .setPlaintextDataKey(ByteString.copyFrom(new byte[5])).build());
      response.onCompleted();
      return;
    }
    Opened o = unwrap(request.getWrappedDataKey().toByteArray(),
        request.getEncryptionContextMap(), response);
    if (o != null) {
      response.onNext(DecryptDataKeyResponse.newBuilder()
          .setPlaintextDataKey(ByteString.copyFrom(o.dek))
          .setKeyName(o.name)
          .setKeyVersion(o.version)
          .build());
      response.onCompleted();
    }
  }

  @Override
  public void rewrapDataKey(RewrapDataKeyRequest request,
      StreamObserver<RewrapDataKeyResponse> response) {
    rewrapCalls.incrementAndGet();
    if (unusable(response)) {
      return;
    }
    Opened o = unwrap(request.getWrappedDataKey().toByteArray(),
        request.getEncryptionContextMap(), response);
    if (o == null) {
      return;
    }
    List<SecretKey> versions = keys.get(o.name);
    int primary;
    SecretKey primaryKey;
    synchronized (versions) {
      primary = versions.size();
      primaryKey = versions.get(primary - 1);
    }
    response.onNext(RewrapDataKeyResponse.newBuilder()
        .setWrappedDataKey(ByteString.copyFrom(
            wrap(o.name, primary, primaryKey, o.dek, request.getEncryptionContextMap())))
        .setKeyName(o.name)
        .setKeyVersion(primary)
        .setPreviousKeyVersion(o.version)
        .build());
    response.onCompleted();
  }

  /** An unwrapped DEK with the key name and version it was wrapped under. */
  private record Opened(byte[] dek, String name, int version) {}

  /**
   * Opens a wrapped DEK as the real keyserver does: a malformed or unauthentic wrap is
   * INVALID_ARGUMENT, a key or version it does not have NOT_FOUND, a version it may not use
   * FAILED_PRECONDITION. Answers the call and returns null on failure.
   */
  private Opened unwrap(byte[] w, Map<String, String> context, StreamObserver<?> response) {
    Status invalid = Status.INVALID_ARGUMENT.withDescription("invalid wrapped data key");
    try {
      ByteBuffer b = ByteBuffer.wrap(w);
      int nameLength = b.get() & 0xFF;
      byte[] nameBytes = new byte[nameLength];
      b.get(nameBytes);
      String name = new String(nameBytes, StandardCharsets.UTF_8);
      int version = b.getInt();
      if (nameLength == 0 || version < 1 || w.length != 1 + nameLength + 4 + 12 + 32 + 16) {
        response.onError(invalid.asRuntimeException());
        return null;
      }
      if (denied.contains(name)) {
        response.onError(Status.PERMISSION_DENIED.asRuntimeException());
        return null;
      }
      List<SecretKey> versions = keys.get(name);
      if (versions == null) {
        response.onError(Status.NOT_FOUND.asRuntimeException());
        return null;
      }
      SecretKey versionKey;
      synchronized (versions) {
        if (version > versions.size()) {
          response.onError(Status.NOT_FOUND.asRuntimeException());
          return null;
        }
        versionKey = versions.get(version - 1);
      }
      if (disabled.contains(name + "/" + version) || version < minVersion.getOrDefault(name, 1)) {
        response.onError(Status.FAILED_PRECONDITION.asRuntimeException());
        return null;
      }
      int prefix = 1 + nameLength + 4;
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, versionKey, new GCMParameterSpec(128, w, prefix, 12));
      c.updateAAD(w, 0, prefix);
      c.updateAAD(CanonicalContext.encode(context));
      return new Opened(c.doFinal(w, prefix + 12, w.length - prefix - 12), name, version);
    } catch (GeneralSecurityException | RuntimeException e) {
      response.onError(invalid.asRuntimeException());
      return null;
    }
  }

  /** Holds the call until the test opens the gate (bounded, so a broken test cannot hang). */
  private static void pass(CountDownLatch gate) {
    if (gate != null) {
      try {
        gate.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Answers for the DOWN and HANG modes; true when the call is taken care of. */
  private boolean unusable(StreamObserver<?> response) {
    switch (mode) {
      case DOWN:
        response.onError(Status.UNAVAILABLE.withDescription("store down").asRuntimeException());
        return true;
      case HANG:
        synchronized (hanging) {
          hanging.add(response); // never answered: the client's deadline must fire
        }
        return true;
      default:
        return false;
    }
  }

  private static byte[] wrap(String name, int version, SecretKey versionKey, byte[] dek,
      Map<String, String> context) {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    int prefix = 1 + nameBytes.length + 4;
    byte[] out = new byte[prefix + 12 + dek.length + 16];
    ByteBuffer.wrap(out).put((byte) nameBytes.length).put(nameBytes).putInt(version);
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    System.arraycopy(nonce, 0, out, prefix, 12);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, versionKey, new GCMParameterSpec(128, nonce));
      c.updateAAD(out, 0, prefix);
      c.updateAAD(CanonicalContext.encode(context));
      c.doFinal(dek, 0, dek.length, out, prefix + 12);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
