package io.keyward.keyserver.rpc;

import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.keyward.keyserver.audit.AuditLog;
import io.keyward.keyserver.identity.TokenVerifier;
import io.keyward.keyserver.keys.Authorizer;
import io.keyward.keyserver.keys.DataKeys;
import io.keyward.keyserver.keys.KeyAdministration;
import java.time.Clock;
import java.util.concurrent.Executor;

/** Builds the two authenticated, audited gRPC services. The only public door into this package. */
public final class KeyserverServices {
  private final ServerServiceDefinition keyService;
  private final ServerServiceDefinition adminService;

  public KeyserverServices(
      DataKeys dataKeys, KeyAdministration admin, Authorizer authorizer, AuditLog audit, TokenVerifier verifier,
      Clock clock, Executor workers) {
    AuditedCalls calls = new AuditedCalls(audit, clock);
    AuthInterceptor auth = new AuthInterceptor(verifier, audit, clock);
    this.keyService = ServerInterceptors.intercept(new KeyServiceImpl(dataKeys, calls, new Offload(workers)), auth);
    this.adminService = ServerInterceptors.intercept(new AdminServiceImpl(admin, authorizer, audit, calls), auth);
  }

  public ServerServiceDefinition keyService() {
    return keyService;
  }

  public ServerServiceDefinition adminService() {
    return adminService;
  }
}
