package io.keyward.sidecar.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON document as plain, mutable Java values: objects are {@link LinkedHashMap}s (member
 * order kept), arrays {@link ArrayList}s, strings {@link String}s, {@code true}/{@code false}
 * {@link Boolean}s, JSON {@code null} is {@code null}, and numbers are {@link Integer}, {@link
 * Long} or {@link BigInteger} for integers and, for fractions, either {@link BigDecimal} (exact:
 * {@code 1.10} stays {@code 1.10}) or {@link Double}.
 *
 * <p>A document must mean exactly one thing: a repeated member name or anything after the value
 * is an error.
 */
public final class JsonTree {
  /** What {@link #parse} returns for input with no JSON value at all (empty or blank). */
  public static final Object NO_VALUE = new Object() {
    @Override
    public String toString() {
      return "NO_VALUE";
    }
  };

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  /** How fractions are held: exactly, for values that are written back, or as doubles. */
  public enum Fractions { EXACT, DOUBLE }

  private JsonTree() {}

  /**
   * Reads one document.
   *
   * @return the value, or {@link #NO_VALUE} if the input holds none
   * @throws com.fasterxml.jackson.core.JsonProcessingException if it is not one valid document;
   *     its location says where
   */
  public static Object parse(InputStream in, Fractions fractions) throws IOException {
    try (JsonParser p = FACTORY.createParser(in)) {
      return parse(p, fractions);
    }
  }

  /** As {@link #parse(InputStream, Fractions)}. */
  public static Object parse(byte[] in, Fractions fractions) throws IOException {
    try (JsonParser p = FACTORY.createParser(in)) {
      return parse(p, fractions);
    }
  }

  private static Object parse(JsonParser p, Fractions fractions) throws IOException {
    if (p.nextToken() == null) {
      return NO_VALUE;
    }
    Object value = read(p, fractions);
    requireEnd(p);
    return value;
  }

  /** Fails, at the token's place, if anything but whitespace follows the value just read. */
  public static void requireEnd(JsonParser p) throws IOException {
    if (p.nextToken() != null) {
      throw new JsonParseException(p, "trailing token after the JSON value",
          p.currentTokenLocation());
    }
  }

  /** The value at the parser's current token, consuming it. */
  private static Object read(JsonParser p, Fractions fractions) throws IOException {
    switch (p.currentToken()) {
      case START_OBJECT: {
        Map<String, Object> object = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          object.put(name, read(p, fractions));
        }
        return object;
      }
      case START_ARRAY: {
        List<Object> array = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          array.add(read(p, fractions));
        }
        return array;
      }
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return number(p, fractions);
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new JsonParseException(p, "unexpected token " + p.currentToken());
    }
  }

  /** The compact JSON of a value built of the types above. */
  public static byte[] toBytes(Object value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      write(g, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }

  /** Writes a value built of the types above. */
  public static void write(JsonGenerator g, Object value) throws IOException {
    if (value == null) {
      g.writeNull();
    } else if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Map<?, ?> object) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : object.entrySet()) {
        g.writeFieldName((String) e.getKey());
        write(g, e.getValue());
      }
      g.writeEndObject();
    } else if (value instanceof List<?> array) {
      g.writeStartArray();
      for (Object element : array) {
        write(g, element);
      }
      g.writeEndArray();
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof BigDecimal d) {
      g.writeNumber(d); // its toString(): what databind's tree wrote, so bodies stay byte-identical
    } else if (value instanceof BigInteger i) {
      g.writeNumber(i);
    } else if (value instanceof Integer || value instanceof Long) {
      g.writeNumber(((Number) value).longValue());
    } else if (value instanceof Double d) {
      g.writeNumber(d);
    } else {
      throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
    }
  }

  /** A generator for callers that write their own documents. */
  public static JsonGenerator generator(java.io.OutputStream out) throws IOException {
    return FACTORY.createGenerator(out);
  }

  /** A parser for callers that stream a document: repeated member names are errors. */
  public static JsonParser parser(byte[] in) throws IOException {
    return FACTORY.createParser(in);
  }

  /**
   * The current number token as {@link #parse} holds it: Integer, Long or BigInteger, and for
   * fractions BigDecimal or Double.
   */
  public static Number number(JsonParser p, Fractions fractions) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
      return p.getNumberValue();
    }
    return fractions == Fractions.EXACT ? p.getDecimalValue() : (Number) p.getDoubleValue();
  }
}
