package io.keyward.injector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Base64;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one {@code admission.k8s.io/v1} AdmissionReview. Pure: bytes in, bytes out, no I/O,
 * so the HTTP server and the tests drive the same code.
 */
public final class AdmissionHandler {
  private static final Logger log = LoggerFactory.getLogger(AdmissionHandler.class);
  static final String API_VERSION = "admission.k8s.io/v1";

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  static {
    // A pod spec is nowhere near this deep; a hostile body must not exhaust the stack.
    MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build());
  }

  private final InjectorConfig config;

  public AdmissionHandler(InjectorConfig config) {
    this.config = Objects.requireNonNull(config);
  }

  /**
   * Answers a review. Never throws: a request that cannot be read gets {@code allowed: false} with
   * a 400 status and a message; a pod that is not to be injected is allowed unchanged; an injected
   * pod gets a base64 JSON Patch. The response echoes the request's {@code uid}.
   */
  public byte[] review(byte[] body) {
    String uid = "";
    ObjectNode response;
    try {
      JsonNode review = readTree(body);
      JsonNode request = review.path("request");
      if (!request.isObject()) {
        throw new Rejection(400, "AdmissionReview has no request object");
      }
      uid = request.path("uid").asText("");
      if (!API_VERSION.equals(review.path("apiVersion").asText()) || !"AdmissionReview".equals(review.path("kind").asText())) {
        throw new Rejection(400, "expected an " + API_VERSION + " AdmissionReview, got apiVersion "
            + Rejection.quote(review.path("apiVersion").asText()) + " kind " + Rejection.quote(review.path("kind").asText()));
      }
      if (uid.isEmpty()) {
        throw new Rejection(400, "AdmissionReview request has no uid");
      }
      response = answer(request);
    } catch (Rejection e) {
      log.info("admission {} denied: {}", printable(uid), printable(e.getMessage()));
      response = denied(e.code(), e.getMessage());
    } catch (RuntimeException e) {
      // A bug must not become an HTTP 500 the API server cannot explain to the user.
      log.error("admission {} failed", printable(uid), e);
      response = denied(500, "keyward injector internal error; see the injector's log");
    }
    response.put("uid", uid);
    ObjectNode out = MAPPER.createObjectNode().put("apiVersion", API_VERSION).put("kind", "AdmissionReview");
    out.set("response", response);
    try {
      return MAPPER.writeValueAsBytes(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise an AdmissionReview", e);
    }
  }

  private ObjectNode answer(JsonNode request) throws Rejection {
    JsonNode kind = request.path("kind");
    boolean isPod = kind.path("group").asText("").isEmpty() && "v1".equals(kind.path("version").asText())
        && "Pod".equals(kind.path("kind").asText());
    // Only pod CREATE is ever injected; anything else the webhook is (mis)configured for passes.
    if (!isPod || !"CREATE".equals(request.path("operation").asText()) || !request.path("subResource").asText("").isEmpty()) {
      return allowed();
    }
    JsonNode pod = request.path("object");
    if (!pod.isObject() || !pod.path("spec").isObject() || !pod.path("spec").path("containers").isArray()) {
      throw new Rejection(400, "request.object is not a pod with spec.containers");
    }
    String namespace = request.path("namespace").asText(pod.path("metadata").path("namespace").asText(""));
    Injection.Decision decision = Injection.decide(pod, namespace, config);
    if (decision != Injection.Decision.INJECT) {
      log.debug("pod {}/{} not injected: {}", printable(namespace), printable(podName(pod)), decision);
      return allowed();
    }
    PodSettings settings = Injection.resolve(pod, config);
    ArrayNode patch = Injection.patch(pod, settings, config);
    log.info("injecting sidecar into pod {}/{}", printable(namespace), printable(podName(pod)));
    ObjectNode response = allowed();
    response.put("patchType", "JSONPatch");
    try {
      response.put("patch", Base64.getEncoder().encodeToString(MAPPER.writeValueAsBytes(patch)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON patch", e);
    }
    return response;
  }

  private static JsonNode readTree(byte[] body) throws Rejection {
    try {
      JsonNode n = MAPPER.readTree(body);
      if (n == null || !n.isObject()) {
        throw new Rejection(400, "request body is not a JSON object");
      }
      return n;
    } catch (IOException e) {
      // Jackson's message may quote the body; say only what kind of problem it was.
      throw new Rejection(400, "request body is not valid JSON");
    }
  }

  private static String podName(JsonNode pod) {
    JsonNode meta = pod.path("metadata");
    String name = meta.path("name").asText("");
    return name.isEmpty() ? meta.path("generateName").asText("") + "*" : name;
  }

  /**
   * Mutating admission runs before the API server validates names, so anything from the request
   * may hold line breaks or escapes: log it bounded and with control characters replaced.
   */
  static String printable(String s) {
    String bounded = s.length() > 300 ? s.substring(0, 300) + "..." : s;
    StringBuilder out = new StringBuilder(bounded.length());
    bounded.codePoints().forEach(c -> out.append(Character.isISOControl(c) ? '?' : (char) c));
    return out.toString();
  }

  private ObjectNode allowed() {
    return MAPPER.createObjectNode().put("allowed", true);
  }

  private ObjectNode denied(int code, String message) {
    ObjectNode r = MAPPER.createObjectNode().put("allowed", false);
    r.putObject("status").put("code", code).put("message", "keyward: " + message);
    return r;
  }
}
