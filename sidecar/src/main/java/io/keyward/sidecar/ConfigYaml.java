package io.keyward.sidecar;

import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads the config file's first YAML document into plain values: {@link LinkedHashMap}s, lists,
 * strings, {@link Integer}/{@link Long}/{@link BigInteger}, {@link Double}, {@link Boolean} and
 * {@code null}. Only SnakeYAML's event parser runs: nothing is constructed from tags.
 *
 * <p>The typing rules are the ones the sidecar had when it read YAML through jackson-dataformat-yaml,
 * so that a config file means what it meant: YAML 1.1 plain scalars ({@code yes}, {@code 0x1F},
 * {@code 1_000}, {@code ~}), an alias reads as its anchor's name (nothing is expanded), mapping keys
 * are taken as written, a repeated key keeps its first place and its last value.
 */
final class ConfigYaml {
  private static final String STANDARD_TAG = "tag:yaml.org,2002:";
  private static final int MAX_DEPTH = 1000;
  private static final int MAX_NUMBER_LENGTH = 1000;

  /** The input is not YAML; {@code line} is 1-based, -1 before the first event, 0 if unknown. */
  static final class InvalidYaml extends Exception {
    final int line;

    InvalidYaml(int line) {
      super("invalid YAML", null, false, false);
      this.line = line;
    }
  }

  private final ParserImpl parser;
  private final Resolver resolver = new Resolver(); // YAML 1.1 implicit types, as before
  private Event last;
  private int depth;

  private ConfigYaml(Reader in) {
    this.parser = new ParserImpl(new StreamReader(in), new LoaderOptions());
  }

  /** The first document's value; {@code null} for an empty stream or a null document. */
  static Object read(Reader in) throws InvalidYaml {
    ConfigYaml yaml = new ConfigYaml(in);
    Event first = yaml.next();
    return first == null ? null : yaml.value(first);
  }

  /** The next event that carries content; null at the end of the stream. */
  private Event next() throws InvalidYaml {
    while (true) {
      Event e;
      try {
        e = parser.getEvent();
      } catch (YAMLException | NumberFormatException x) {
        throw invalid(); // SnakeYAML's messages quote the input; the line says enough
      }
      if (e == null || e.is(Event.ID.StreamEnd)) {
        return null;
      }
      last = e;
      if (!e.is(Event.ID.StreamStart) && !e.is(Event.ID.DocumentStart)
          && !e.is(Event.ID.DocumentEnd)) {
        return e;
      }
    }
  }

  private Object value(Event e) throws InvalidYaml {
    if (e.is(Event.ID.Scalar)) {
      return scalar((ScalarEvent) e);
    }
    if (e.is(Event.ID.Alias)) {
      return ((AliasEvent) e).getAnchor();
    }
    if (e.is(Event.ID.MappingStart)) {
      enter();
      Map<String, Object> map = new LinkedHashMap<>();
      for (Event key = next(); key == null || !key.is(Event.ID.MappingEnd); key = next()) {
        if (key == null || !key.is(Event.ID.Scalar)) {
          throw invalid(); // a key that is a list, a mapping or an alias
        }
        map.put(((ScalarEvent) key).getValue(), value(nextValue()));
      }
      depth--;
      return map;
    }
    if (e.is(Event.ID.SequenceStart)) {
      enter();
      List<Object> list = new ArrayList<>();
      for (Event item = nextValue(); !item.is(Event.ID.SequenceEnd); item = nextValue()) {
        list.add(value(item));
      }
      depth--;
      return list;
    }
    throw invalid();
  }

  private Event nextValue() throws InvalidYaml {
    Event e = next();
    if (e == null || e.is(Event.ID.MappingEnd)) {
      throw invalid();
    }
    return e;
  }

  private void enter() throws InvalidYaml {
    if (++depth > MAX_DEPTH) {
      throw new InvalidYaml(0);
    }
  }

  private Object scalar(ScalarEvent e) throws InvalidYaml {
    String value = e.getValue();
    String tag = e.getTag();
    if (tag == null || tag.equals("!")) {
      Tag resolved =
          resolver.resolve(NodeId.scalar, value, e.getImplicit().canOmitTagInPlainScalar());
      if (resolved.equals(Tag.INT)) {
        return integer(value);
      }
      if (resolved.equals(Tag.FLOAT)) {
        return fraction(value);
      }
      if (resolved.equals(Tag.BOOL)) {
        return bool(value);
      }
      return resolved.equals(Tag.NULL) ? null : value; // timestamps and the rest stay text
    }
    if (tag.startsWith(STANDARD_TAG)) {
      tag = tag.substring(STANDARD_TAG.length()).split(",", -1)[0];
    }
    if (tag.equals("binary")) {
      return binary(value);
    }
    if (tag.equals("bool")) {
      return bool(value);
    }
    if (!value.isEmpty() && tag.equals("int")) {
      return integer(value);
    }
    if (!value.isEmpty() && tag.equals("float")) {
      return fraction(value);
    }
    return !value.isEmpty() && tag.equals("null") ? null : value;
  }

  /**
   * {@code !!binary} base64 (padded; line breaks between groups of four), read as the text of its
   * canonical base64: settings and proxy values are text.
   */
  private String binary(String value) throws InvalidYaml {
    StringBuilder groups = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c > ' ') {
        groups.append(c);
      } else if (groups.length() % 4 != 0) {
        throw invalid();
      }
    }
    try {
      if (groups.length() % 4 != 0) {
        throw new IllegalArgumentException("unpadded");
      }
      return Base64.getEncoder().encodeToString(Base64.getDecoder().decode(groups.toString()));
    } catch (IllegalArgumentException x) {
      throw invalid();
    }
  }

  /** YAML 1.1 booleans (y, yes, on, true and their opposites, any case); other text stays text. */
  private static Object bool(String value) {
    switch (value.toLowerCase(java.util.Locale.ROOT)) {
      case "y", "yes", "on", "true":
        return Boolean.TRUE;
      case "n", "no", "off", "false":
        return Boolean.FALSE;
      default:
        return value;
    }
  }

  /**
   * A YAML 1.1 integer: decimal, 0b binary, 0x hex or 0-prefixed octal, with '_' separators.
   * Other text (a base-60 {@code 1:30}) stays text. The boxed type follows the number of digits,
   * as it always has: Integer, Long, then BigInteger.
   */
  private Object integer(String value) throws InvalidYaml {
    boolean negative = value.charAt(0) == '-';
    int i = negative || value.charAt(0) == '+' ? 1 : 0;
    if (i == value.length()) {
      throw invalid();
    }
    if (value.charAt(i) == '0') {
      if (++i == value.length()) {
        return 0;
      }
      char c = value.charAt(i);
      if (c == 'b' || c == 'B') {
        return radix(value.substring(i + 1), 2, 31, 63, negative);
      }
      if (c == 'x' || c == 'X') {
        return radix(value.substring(i + 1), 16, 7, 15, negative);
      }
      return c == '_' || (c >= '0' && c <= '9')
          ? radix(value.substring(i), 8, 10, 21, negative) : value;
    }
    for (int j = i; j < value.length(); j++) {
      char c = value.charAt(j);
      if ((c < '0' || c > '9') && c != '_') {
        return value;
      }
    }
    String digits = value.indexOf('_') < 0 ? value
        : (negative ? "-" : "") + value.substring(i).replace("_", "");
    int length = digits.length() - (negative ? 1 : 0);
    try {
      if (length <= 9) {
        return Integer.parseInt(digits);
      }
      if (length <= 18) {
        long n = Long.parseLong(digits);
        return length == 10 && n == (int) n ? (Object) (int) n : (Object) n;
      }
      if (digits.length() > MAX_NUMBER_LENGTH) {
        throw new InvalidYaml(0);
      }
      BigInteger n = new BigInteger(digits);
      return length == 19 && n.bitLength() <= 63 ? (Object) n.longValue() : n;
    } catch (NumberFormatException x) {
      throw invalid(); // only '_' and a sign
    }
  }

  /** Binary, octal or hex digits; up to {@code intDigits} an Integer, up to {@code longDigits} a Long. */
  private Object radix(String raw, int radix, int intDigits, int longDigits, boolean negative)
      throws InvalidYaml {
    String digits = raw.replace("_", "");
    try {
      if (digits.length() <= intDigits) {
        int n = Integer.parseInt(digits, radix);
        return negative ? -n : n;
      }
      if (digits.length() <= longDigits) {
        long n = Long.parseLong(digits, radix);
        // one digit past int range may still fit an int (hex and binary only, not octal)
        boolean mayBeInt = radix != 8 && digits.length() == intDigits + 1;
        long signed = negative ? -n : n;
        return mayBeInt && (negative ? signed >= Integer.MIN_VALUE : n < Integer.MAX_VALUE)
            ? (Object) (int) signed : (Object) signed;
      }
      if (digits.length() > MAX_NUMBER_LENGTH) {
        throw new InvalidYaml(0);
      }
      BigInteger n = new BigInteger(digits, radix);
      return negative ? n.negate() : n;
    } catch (NumberFormatException x) {
      throw invalid();
    }
  }

  /** A YAML float as a Double; {@code .inf} and {@code .nan} are not numbers Java reads: errors. */
  private Object fraction(String value) throws InvalidYaml {
    String text = value.indexOf('_') < 0 ? value
        : value.substring(value.charAt(0) == '+' ? 1 : 0).replace("_", "");
    if (text.length() > MAX_NUMBER_LENGTH) {
      throw new InvalidYaml(0);
    }
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException x) {
      throw invalid();
    }
  }

  /** At the end of the last event read, where the reader had got to. */
  private InvalidYaml invalid() {
    return new InvalidYaml(last == null ? -1 : last.getEndMark().getLine() + 1);
  }
}
