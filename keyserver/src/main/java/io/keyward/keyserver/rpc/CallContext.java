package io.keyward.keyserver.rpc;

import io.grpc.Context;
import io.keyward.keyserver.identity.WorkloadIdentity;

/** What the interceptors learn about a call, for the services to read. */
final class CallContext {
  static final Context.Key<WorkloadIdentity> CALLER = Context.key("keyward-caller");
  static final Context.Key<String> REQUEST_ID = Context.key("keyward-request-id");

  private CallContext() {}

  static WorkloadIdentity caller() {
    WorkloadIdentity caller = CALLER.get();
    if (caller == null) {
      throw new IllegalStateException("no authenticated caller: AuthInterceptor is not installed");
    }
    return caller;
  }

  static String requestId() {
    String id = REQUEST_ID.get();
    return id == null ? "-" : id;
  }
}
