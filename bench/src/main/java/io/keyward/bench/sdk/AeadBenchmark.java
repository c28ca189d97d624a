package io.keyward.bench.sdk;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.KeywardSettings;
import io.keyward.sdk.TokenSources;
import io.keyward.sdk.format.CanonicalContext;
import io.keyward.sdk.format.Header;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import software.amazon.cryptography.materialproviders.IKeyring;
import software.amazon.cryptography.materialproviders.MaterialProviders;
import software.amazon.cryptography.materialproviders.model.AesWrappingAlg;
import software.amazon.cryptography.materialproviders.model.CreateRawAesKeyringInput;
import software.amazon.cryptography.materialproviders.model.MaterialProvidersConfig;

/**
 * Single-message encrypt and decrypt throughput, one thread, for the Keyward SDK with a warm
 * data-key cache and for three baselines:
 *
 * <ul>
 *   <li>raw JCE AES-256-GCM: one {@link Cipher} per thread, a fresh random 12-byte nonce per call
 *       from a per-thread {@link SecureRandom}, the same AAD length as the SDK's;
 *   <li>raw JCE with a counter nonce: the floor, what GCM alone costs;
 *   <li>Google Tink AEAD, AES256_GCM (random nonce, 5-byte key-id prefix), same AAD length;
 *   <li>the AWS Encryption SDK with a raw AES keyring and the committing suite without signatures
 *       (ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY): it has no data-key cache for keyrings, so every
 *       message wraps a fresh data key locally.
 * </ul>
 *
 * Run: see bench/README.md ("SDK benchmarks").
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class AeadBenchmark {
  @Param({"64", "1024", "16384", "1048576"})
  public int size;

  byte[] plaintext;
  Map<String, String> context;
  byte[] aad; // random bytes as long as the SDK's associated data

  private InProcessKeyService keyService;
  KeywardClient keyward;
  byte[] keywardCiphertext;

  SecretKey jceKey;
  byte[] jceCiphertext;

  Aead tink;
  byte[] tinkCiphertext;

  AwsCrypto aws;
  IKeyring awsKeyring;
  byte[] awsCiphertext;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Random random = new Random(size);
    plaintext = new byte[size];
    random.nextBytes(plaintext);
    context = InProcessKeyService.context();

    keyService = new InProcessKeyService();
    keyward = KeywardClient.create(KeywardSettings.builder()
        .tokenSource(TokenSources.fixed("bench-token"))
        .defaultKeyName(InProcessKeyService.KEY)
        .build(), keyService.channel());
    keywardCiphertext = keyward.encrypt(plaintext, context);
    keyward.decrypt(keywardCiphertext, context); // warm the decrypt cache too
    aad = new byte[Header.parse(keywardCiphertext)
        .associatedData(CanonicalContext.encode(context)).length];
    random.nextBytes(aad);

    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    jceKey = new SecretKeySpec(k, "AES");
    JceThread jce = new JceThread();
    jce.setUp();
    jceCiphertext = jceEncrypt(jce);

    AeadConfig.register();
    tink = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class);
    tinkCiphertext = tink.encrypt(plaintext, aad);

    MaterialProviders providers = MaterialProviders.builder()
        .MaterialProvidersConfig(MaterialProvidersConfig.builder().build())
        .build();
    awsKeyring = providers.CreateRawAesKeyring(CreateRawAesKeyringInput.builder()
        .keyNamespace("keyward-bench")
        .keyName("bench")
        .wrappingKey(ByteBuffer.wrap(k))
        .wrappingAlg(AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16)
        .build());
    aws = AwsCrypto.builder()
        .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt)
        .withEncryptionAlgorithm(CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
        .build();
    awsCiphertext = aws.encryptData(awsKeyring, plaintext, context).getResult();
    Arrays.fill(k, (byte) 0);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    keyward.close();
    keyService.close();
  }

  /** Per-thread JCE state: a Cipher is not thread-safe, and getInstance per call is too slow. */
  @State(Scope.Thread)
  public static class JceThread {
    Cipher cipher;
    SecureRandom random;
    final byte[] nonce = new byte[12];
    long counter;

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
      cipher = Cipher.getInstance("AES/GCM/NoPadding");
      random = new SecureRandom();
    }
  }

  @Benchmark
  public byte[] keywardEncrypt() {
    return keyward.encrypt(plaintext, context);
  }

  @Benchmark
  public byte[] keywardDecrypt() {
    return keyward.decrypt(keywardCiphertext, context);
  }

  @Benchmark
  public byte[] jceEncrypt(JceThread t) throws GeneralSecurityException {
    byte[] out = new byte[12 + plaintext.length + 16];
    t.random.nextBytes(t.nonce);
    return seal(t, out);
  }

  @Benchmark
  public byte[] jceCounterNonceEncrypt(JceThread t) throws GeneralSecurityException {
    byte[] out = new byte[12 + plaintext.length + 16];
    long n = ++t.counter;
    for (int i = 0; i < 8; i++) {
      t.nonce[4 + i] = (byte) (n >>> (56 - 8 * i));
    }
    return seal(t, out);
  }

  private byte[] seal(JceThread t, byte[] out) throws GeneralSecurityException {
    System.arraycopy(t.nonce, 0, out, 0, 12);
    t.cipher.init(Cipher.ENCRYPT_MODE, jceKey, new GCMParameterSpec(128, out, 0, 12));
    t.cipher.updateAAD(aad);
    t.cipher.doFinal(plaintext, 0, plaintext.length, out, 12);
    return out;
  }

  @Benchmark
  public byte[] jceDecrypt(JceThread t) throws GeneralSecurityException {
    byte[] ct = jceCiphertext;
    t.cipher.init(Cipher.DECRYPT_MODE, jceKey, new GCMParameterSpec(128, ct, 0, 12));
    t.cipher.updateAAD(aad);
    return t.cipher.doFinal(ct, 12, ct.length - 12);
  }

  @Benchmark
  public byte[] tinkEncrypt() throws GeneralSecurityException {
    return tink.encrypt(plaintext, aad);
  }

  @Benchmark
  public byte[] tinkDecrypt() throws GeneralSecurityException {
    return tink.decrypt(tinkCiphertext, aad);
  }

  @Benchmark
  public byte[] awsEncrypt() {
    return aws.encryptData(awsKeyring, plaintext, context).getResult();
  }

  @Benchmark
  public byte[] awsDecrypt() {
    return aws.decryptData(awsKeyring, awsCiphertext, context).getResult();
  }
}
