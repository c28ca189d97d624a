package io.keyward.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line of one h2load run (nghttp2's native HTTP/2 load generator) sending one unary
 * gRPC call over and over for {@code duration}: {@code connections} TLS connections, {@code
 * inFlight / connections} streams open on each, one client thread.
 *
 * <p>h2load costs ~10 µs of CPU per call where the Java gRPC client costs several times that;
 * on a machine whose cores the server shares with its load driver, that is the difference
 * between measuring the server and measuring the driver.
 */
record H2LoadCommand(
    String executable,
    String host,
    int port,
    String grpcMethod,
    Path requestFile,
    Optional<String> bearerToken,
    int connections,
    int inFlight,
    Duration duration,
    Optional<Path> logFile) {

  H2LoadCommand {
    if (connections < 1 || inFlight % connections != 0) {
      throw new IllegalArgumentException(
          "h2load needs in-flight (" + inFlight + ") to be a multiple of the connections (" + connections + ")");
    }
    if (duration.toMillis() < 1) {
      throw new IllegalArgumentException("h2load needs a duration of at least 1ms, got " + duration);
    }
  }

  /** The argument list; the bearer token is in it, so never log it. */
  List<String> arguments() {
    List<String> args = new ArrayList<>(List.of(executable,
        "--duration=" + duration.toMillis() + "ms",
        "--clients=" + connections,
        "--max-concurrent-streams=" + inFlight / connections,
        "--threads=1",
        "--data=" + requestFile,
        "--header=content-type: application/grpc",
        "--header=te: trailers"));
    logFile.ifPresent(f -> args.add("--log-file=" + f));
    bearerToken.ifPresent(t -> args.add("--header=authorization: Bearer " + t));
    args.add("https://" + host + ":" + port + "/" + grpcMethod);
    return args;
  }

  /** What may be logged: everything but the token. */
  @Override
  public String toString() {
    return "h2load " + grpcMethod + " on " + host + ":" + port + ", " + connections + " connections x "
        + inFlight / connections + " streams for " + duration.toMillis() + "ms"
        + (bearerToken.isPresent() ? ", bearer token" : "");
  }
}
