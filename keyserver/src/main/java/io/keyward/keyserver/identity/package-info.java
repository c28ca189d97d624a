/**
 * Workload identity: who is calling, proven by a JWT.
 *
 * <p>Public API: {@link io.keyward.keyserver.identity.JwtTokenVerifier} built from {@link
 * io.keyward.keyserver.identity.IdentitySettings} and {@link
 * io.keyward.keyserver.identity.TrustedIssuer}. Inside, a token passes through layers, each a
 * small package-private class:
 *
 * <ol>
 *   <li>{@code CompactJws} + {@code HeaderPolicy}: shape, size, {@code alg} in a fixed
 *       asymmetric set, no {@code crit}, {@code typ}.
 *   <li>{@code VerifiedTokenCache}: a token verified before and not yet expired is answered here.
 *   <li>{@code SignatureCheck} + {@code KeyMatch}: a key of the token's issuer, chosen by {@code
 *       kid}/{@code alg} from {@code IssuerKeys} only, must verify the signature.
 *   <li>{@code ClaimsPolicy}: {@code iss}, {@code aud}, {@code exp}, {@code nbf}, {@code iat}.
 *   <li>{@code IdentityMapper} + {@code SubjectParser}: subject and {@code kubernetes.io} claims to
 *       a {@link io.keyward.keyserver.identity.WorkloadIdentity}.
 * </ol>
 *
 * <p>Keys come from {@code IssuerKeys} (one per issuer, own lock, rate-limited reloads) fed by a
 * {@code JwksLoader} (file, URL, OIDC discovery) and filtered by {@code JwksPolicy}.
 */
package io.keyward.keyserver.identity;
