package io.keyward.sidecar.proxy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.keyward.sidecar.json.JsonTree;
import io.keyward.sidecar.json.JsonTree.Fractions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One streaming pass over a JSON body that copies it token by token and takes out the values a
 * {@link Chooser} picks, leaving a slot for each; once the whole body has parsed, the slots are
 * filled with new strings. No tree of the body is built: the copy is written as jackson-databind's
 * tree wrote it (numbers exact, as {@link JsonTree} holds them), so a filled body is byte for byte
 * what the proxy produced before.
 */
final class JsonSlots {
  /** Picks values to take out. */
  interface Chooser {
    /**
     * At the start of each value: a non-negative tag to take it out, -1 to copy it.
     *
     * @param position member names (String) and array indices (Integer) from the root
     * @param text the value if it is a string, else null
     */
    int choose(List<Object> position, JsonToken token, String text);
  }

  /**
   * A value taken out: the chooser's tag, its JSON Pointer, the value (a String, or the compact
   * JSON of a number, boolean, object or array), and where its slot ends in the copy.
   */
  record Taken(int tag, String pointer, Object value, int slotEnd) {}

  private final ByteArrayOutputStream copy;
  private final List<Taken> taken;

  private JsonSlots(ByteArrayOutputStream copy, List<Taken> taken) {
    this.copy = copy;
    this.taken = taken;
  }

  /**
   * Reads the whole body.
   *
   * @return null for a body with no JSON value (empty or blank)
   * @throws IOException if it is not one valid document, has a repeated member name or trailing
   *     data
   */
  static JsonSlots scan(byte[] body, Chooser chooser) throws IOException {
    ByteArrayOutputStream copy = new ByteArrayOutputStream(body.length + 64);
    List<Taken> taken = new ArrayList<>();
    try (JsonParser p = JsonTree.parser(body); JsonGenerator g = JsonTree.generator(copy)) {
      if (p.nextToken() == null) {
        return null;
      }
      new Copier(p, g, chooser, copy, taken).value(new ArrayList<>());
      JsonTree.requireEnd(p);
    }
    return new JsonSlots(copy, taken);
  }

  List<Taken> taken() {
    return taken;
  }

  /** The copy with slot {@code i} holding the JSON string {@code strings.get(i)}. */
  byte[] fill(List<String> strings) {
    byte[] bytes = copy.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 256);
    int from = 0;
    for (int i = 0; i < taken.size(); i++) {
      int slotStart = taken.get(i).slotEnd() - 2; // the slot is an empty string, ""
      out.write(bytes, from, slotStart - from);
      out.writeBytes(JsonTree.toBytes(strings.get(i)));
      from = taken.get(i).slotEnd();
    }
    out.write(bytes, from, bytes.length - from);
    return out.toByteArray();
  }

  /** The recursive copy; one per scan. */
  private record Copier(JsonParser p, JsonGenerator g, Chooser chooser,
      ByteArrayOutputStream copy, List<Taken> taken) {
    private static final Chooser NONE = (position, token, text) -> -1;

    void value(List<Object> position) throws IOException {
      JsonToken token = p.currentToken();
      String text = token == JsonToken.VALUE_STRING ? p.getText() : null;
      int tag = chooser.choose(position, token, text);
      if (tag < 0) {
        copy(position);
        return;
      }
      Object value = text;
      if (text == null) { // its compact JSON, written exactly as the rest of the body
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        try (JsonGenerator nested = JsonTree.generator(json)) {
          new Copier(p, nested, NONE, json, List.of()).copy(position);
        }
        value = json.toByteArray();
      }
      g.writeString("");
      g.flush();
      taken.add(new Taken(tag, pointer(position), value, copy.size()));
    }

    private void copy(List<Object> position) throws IOException {
      switch (p.currentToken()) {
        case START_OBJECT -> {
          g.writeStartObject();
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            g.writeFieldName(name);
            p.nextToken();
            child(position, name);
          }
          g.writeEndObject();
        }
        case START_ARRAY -> {
          g.writeStartArray();
          for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
            child(position, i);
          }
          g.writeEndArray();
        }
        case VALUE_STRING -> g.writeString(p.getText());
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT ->
            JsonTree.write(g, JsonTree.number(p, Fractions.EXACT));
        case VALUE_TRUE -> g.writeBoolean(true);
        case VALUE_FALSE -> g.writeBoolean(false);
        case VALUE_NULL -> g.writeNull();
        default -> throw new IllegalStateException("unexpected token " + p.currentToken());
      }
    }

    private void child(List<Object> position, Object step) throws IOException {
      position.add(step);
      value(position);
      position.remove(position.size() - 1);
    }
  }

  static String pointer(List<Object> position) {
    StringBuilder b = new StringBuilder();
    for (Object step : position) {
      b.append('/').append(step instanceof String name ? FieldPath.escape(name) : step);
    }
    return b.toString();
  }
}
