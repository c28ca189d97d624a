package io.keyward.keyserver.keys;

import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.identity.WorkloadIdentity;
import io.keyward.keyserver.keys.SealedBlobs.Purpose;
import io.keyward.keyserver.policy.Operation;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeyVersionRecord;
import io.keyward.keyserver.store.VersionState;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The workload operations: issue, unwrap and rewrap data keys; encrypt and decrypt small payloads.
 * Each checks the policy before it touches a key, so a caller without permission learns nothing
 * about whether a key exists.
 */
public final class DataKeys {
  public static final int DATA_KEY_LENGTH = 32;

  private final KeyCatalog catalog;
  private final Authorizer authorizer;
  private final AutoRotation autoRotation;

  /** A data key in plaintext and wrapped. {@code toString()} shows no key bytes. */
  public record IssuedDataKey(byte[] plaintext, byte[] wrapped, String keyName, int version) {
    @Override
    public String toString() {
      return "IssuedDataKey[" + keyName + " v" + version + ", REDACTED]";
    }
  }

  /** A result of unwrapping: plaintext data key or payload, and where it came from. */
  public record Opened(byte[] plaintext, String keyName, int version) {
    @Override
    public String toString() {
      return "Opened[" + keyName + " v" + version + ", REDACTED]";
    }
  }

  /** A blob sealed under the primary version. */
  public record Sealed(byte[] blob, String keyName, int version, int previousVersion) {}

  public DataKeys(KeyCatalog catalog, Authorizer authorizer, AutoRotation autoRotation) {
    this.catalog = catalog;
    this.authorizer = authorizer;
    this.autoRotation = autoRotation;
  }

  /**
   * Whether sealing under {@code keyName}'s primary version needs nothing but memory (no store
   * read, no root-key call): such calls can run on an I/O thread.
   */
  public boolean sealsFromMemory(String keyName) {
    return catalog.inMemory(keyName, OptionalInt.empty());
  }

  /** The same for unwrapping {@code wrapped} (and, for a rewrap, sealing it again under the primary). */
  public boolean opensDataKeyFromMemory(byte[] wrapped, boolean sealsAgain) {
    return opensFromMemory(wrapped, Purpose.DATA_KEY, sealsAgain);
  }

  /** The same for decrypting a {@code ciphertext} made by {@link #encrypt}. */
  public boolean opensCiphertextFromMemory(byte[] ciphertext) {
    return opensFromMemory(ciphertext, Purpose.CIPHERTEXT, false);
  }

  private boolean opensFromMemory(byte[] blob, Purpose purpose, boolean sealsAgain) {
    SealedBlobs.Parsed parsed;
    try {
      parsed = SealedBlobs.parse(blob, purpose);
    } catch (RuntimeException malformed) {
      return true;
    }
    return catalog.inMemory(parsed.keyName(), OptionalInt.of(parsed.version()))
        && (!sealsAgain || catalog.inMemory(parsed.keyName(), OptionalInt.empty()));
  }

  public IssuedDataKey generate(WorkloadIdentity caller, String keyName, Map<String, String> context, CallRecord call) {
    call.key(KeyNames.requireValid(keyName));
    byte[] canonical = EncryptionContexts.canonical(context);
    authorizer.require(caller, Operation.ENCRYPT, Optional.of(keyName), context);
    KeyRecord key = catalog.key(keyName);
    KeyVersionRecord primary = requirePrimary(key);
    call.version(primary.version());
    byte[] dek = new byte[DATA_KEY_LENGTH];
    Randomness.fill(dek);
    byte[] wrapped = SealedBlobs.seal(
        catalog.secret(key, primary), Purpose.DATA_KEY, keyName, primary.version(), dek, canonical);
    catalog.countDataKey(keyName, primary.version());
    autoRotation.afterIssue(key);
    return new IssuedDataKey(dek, wrapped, keyName, primary.version());
  }

  public Opened decryptDataKey(WorkloadIdentity caller, byte[] wrapped, Map<String, String> context, CallRecord call) {
    return open(caller, Operation.DECRYPT, Purpose.DATA_KEY, wrapped, context, call);
  }

  public Sealed rewrap(WorkloadIdentity caller, byte[] wrapped, Map<String, String> context, CallRecord call) {
    Opened dek = open(caller, Operation.REWRAP, Purpose.DATA_KEY, wrapped, context, call);
    try {
      return sealUnderPrimary(dek.keyName(), Purpose.DATA_KEY, dek.plaintext(), context, dek.version(), call);
    } finally {
      java.util.Arrays.fill(dek.plaintext(), (byte) 0);
    }
  }

  public Sealed encrypt(
      WorkloadIdentity caller, String keyName, byte[] plaintext, Map<String, String> context, CallRecord call) {
    call.key(KeyNames.requireValid(keyName));
    if (plaintext.length > SealedBlobs.MAX_CIPHERTEXT_PLAINTEXT) {
      throw KeyserverException.invalid(
          "plaintext is " + plaintext.length + " bytes; Encrypt takes at most " + SealedBlobs.MAX_CIPHERTEXT_PLAINTEXT
              + " (use a data key for more)");
    }
    EncryptionContexts.canonical(context);
    authorizer.require(caller, Operation.ENCRYPT, Optional.of(keyName), context);
    return sealUnderPrimary(keyName, Purpose.CIPHERTEXT, plaintext, context, 0, call);
  }

  public Opened decrypt(WorkloadIdentity caller, byte[] ciphertext, Map<String, String> context, CallRecord call) {
    return open(caller, Operation.DECRYPT, Purpose.CIPHERTEXT, ciphertext, context, call);
  }

  private Sealed sealUnderPrimary(
      String keyName, Purpose purpose, byte[] plaintext, Map<String, String> context, int previousVersion,
      CallRecord call) {
    KeyRecord key = catalog.key(keyName);
    KeyVersionRecord primary = requirePrimary(key);
    call.version(primary.version());
    byte[] blob = SealedBlobs.seal(
        catalog.secret(key, primary), purpose, keyName, primary.version(), plaintext,
        EncryptionContexts.canonical(context));
    return new Sealed(blob, keyName, primary.version(), previousVersion);
  }

  private Opened open(
      WorkloadIdentity caller, Operation operation, Purpose purpose, byte[] blob, Map<String, String> context,
      CallRecord call) {
    SealedBlobs.Parsed parsed = SealedBlobs.parse(blob, purpose);
    byte[] canonical = EncryptionContexts.canonical(context);
    call.key(parsed.keyName()).version(parsed.version());
    authorizer.require(caller, operation, Optional.of(parsed.keyName()), context);
    KeyRecord key = catalog.keyWithVersion(parsed.keyName(), parsed.version());
    KeyVersionRecord version = requireDecryptable(key, parsed.version());
    byte[] plaintext = SealedBlobs.open(catalog.secret(key, version), parsed, canonical);
    return new Opened(plaintext, key.name(), version.version());
  }

  private static KeyVersionRecord requirePrimary(KeyRecord key) {
    KeyVersionRecord primary = key.primary();
    if (!KeyCatalog.isUsable(primary)) {
      throw KeyserverException.precondition("the primary version of key '" + key.name() + "' is not enabled");
    }
    return primary;
  }

  static KeyVersionRecord requireDecryptable(KeyRecord key, int versionNumber) {
    KeyVersionRecord version = key.version(versionNumber).orElseThrow(
        () -> KeyserverException.notFound("key '" + key.name() + "' has no version " + versionNumber));
    String what = "version " + versionNumber + " of key '" + key.name() + "'";
    if (versionNumber < key.minDecryptionVersion()) {
      throw KeyserverException.precondition(
          what + " is below the minimum decryption version " + key.minDecryptionVersion());
    }
    if (version.state() == VersionState.DESTROYED || version.wrappedSecret().isEmpty()) {
      throw KeyserverException.precondition(what + " is destroyed");
    }
    if (version.state() == VersionState.DESTROY_SCHEDULED) {
      throw KeyserverException.precondition(what + " is scheduled for destruction");
    }
    if (version.state() == VersionState.DISABLED) {
      throw KeyserverException.precondition(what + " is disabled");
    }
    return version;
  }
}
