package io.keyward.sidecar.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

class HttpFactsTest {
  @Test
  void rulePathsAreMatchedOnADecodedNormalisedPath() {
    assertEquals("/v1/customers/1", HttpFacts.matchPath("/v1/%63ustomers/1?x=%2F"));
    assertEquals("/v1/customers/1", HttpFacts.matchPath("/v1//x/../customers/./1"));
    assertEquals("/v1/customers/", HttpFacts.matchPath("/v1/customers/"));
    assertEquals("/", HttpFacts.matchPath("/../.."));
    assertEquals("/a+b", HttpFacts.matchPath("/a+b"));
    assertNull(HttpFacts.matchPath("/bad%zz"));
    assertNull(HttpFacts.matchPath("*"));
    assertEquals("/p?q=1", HttpFacts.originForm("http://host:1/p?q=1"));
    assertEquals("/", HttpFacts.originForm("http://host:1"));
  }

  @Test
  void globsMatchWithinAndAcrossSegments() {
    PathGlob all = PathGlob.compile("/v1/customers/**", "t");
    assertTrue(all.matches("/v1/customers"));
    assertTrue(all.matches("/v1/customers/1/cards/2"));
    assertFalse(all.matches("/v1/customersX"));
    PathGlob one = PathGlob.compile("/v1/*/notes", "t");
    assertTrue(one.matches("/v1/abc/notes"));
    assertFalse(one.matches("/v1/a/b/notes"));
    PathGlob literal = PathGlob.compile("/v1/a.b(c)", "t");
    assertTrue(literal.matches("/v1/a.b(c)"));
    assertFalse(literal.matches("/v1/aXb(c)"));
    PathGlob middle = PathGlob.compile("/v1/**/notes", "t");
    assertTrue(middle.matches("/v1/a/b/notes"));
  }

  @Test
  void hopByHopHeadersAndThoseNamedInConnectionAreRemoved() {
    HttpHeaders h = new DefaultHttpHeaders();
    h.add("Connection", "keep-alive, X-Private");
    h.add("X-Private", "1").add("Keep-Alive", "5").add("TE", "trailers").add("Upgrade", "h2c")
        .add("Proxy-Authorization", "Basic x").add("X-End", "kept").add("Transfer-Encoding", "chunked");
    HttpFacts.stripHopByHop(h);
    assertEquals(2, h.size(), h.toString());
    assertEquals("kept", h.get("X-End"));
    assertEquals("chunked", h.get("Transfer-Encoding"));
  }

  @Test
  void jsonMediaTypesAreRecognised() {
    assertTrue(HttpFacts.isJson("application/json"));
    assertTrue(HttpFacts.isJson("Application/JSON; charset=utf-8"));
    assertTrue(HttpFacts.isJson("application/merge-patch+json"));
    assertFalse(HttpFacts.isJson("text/json-ish"));
    assertFalse(HttpFacts.isJson("application/jsonp"));
    assertFalse(HttpFacts.isJson(null));
  }
}
