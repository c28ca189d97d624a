package io.keyward.bench;

import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** The ways an h2load phase checks the gRPC outcome of its calls, which h2load itself cannot see. */
final class GrpcOutcomes {
  private GrpcOutcomes() {}

  /**
   * Every call h2load completed must have been answered OK by the server: any other code the
   * server counted for {@code grpcMethod} during the run is an error, and so is a completed call
   * the server did not count as OK.
   */
  static H2LoadPhase.OutcomeCheck answeredOk(ServerCallCounts counts, String grpcMethod) {
    return new H2LoadPhase.OutcomeCheck() {
      private Map<String, Long> before = new HashMap<>();

      @Override
      public void before() throws IOException, InterruptedException {
        before = counts.byCode(grpcMethod);
      }

      @Override
      public Map<String, Long> errors(H2LoadOutput output) throws IOException, InterruptedException {
        Map<String, Long> during = ServerCallCounts.difference(before, counts.byCode(grpcMethod));
        Map<String, Long> errors = new TreeMap<>(during);
        long ok = errors.getOrDefault("OK", 0L);
        errors.remove("OK");
        if (ok < output.succeeded()) {
          errors.put("NOT_ANSWERED_OK", output.succeeded() - ok);
        }
        return errors;
      }
    };
  }

  /**
   * Every response must be {@code expected} (an unchanging answer such as the health check's
   * SERVING): the response bytes h2load received must be whole such messages, one per call. A call
   * that failed carries its code in trailers only, with no message.
   */
  static H2LoadPhase.OutcomeCheck answered(MessageLite expected) {
    long frame = H2LoadPhase.grpcFrame(expected).length;
    return new H2LoadPhase.OutcomeCheck() {
      @Override
      public void before() {}

      @Override
      public Map<String, Long> errors(H2LoadOutput output) {
        long answered = output.dataBytes() / frame;
        // Calls still open when h2load stopped may have received their message already.
        if (output.dataBytes() % frame == 0 && answered >= output.succeeded() && answered <= output.started()) {
          return Map.of();
        }
        return Map.of("WRONG_RESPONSE", Math.max(1, Math.abs(output.succeeded() - answered)));
      }
    };
  }
}
