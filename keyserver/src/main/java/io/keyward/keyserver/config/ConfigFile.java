package io.keyward.keyserver.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads the YAML configuration file into raw values. Strict: an unknown or repeated key is an
 * error with its line, so that a typo cannot silently leave a setting at its default. Only safe
 * YAML is read: nothing is constructed, aliases and custom tags are refused.
 */
final class ConfigFile {
  static final int MAX_BYTES = 1 << 20;
  static final Set<String> ISSUER_FIELDS = Set.of("issuer", "jwksFile", "jwksUrl", "discovery", "caFile");
  private static final Set<Tag> SCALAR_TAGS =
      Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.TIMESTAMP, Tag.NULL);

  final Map<Setting, Raw> values = new EnumMap<>(Setting.class);
  /** One {@code identity.issuers} entry: its position and its fields. */
  record IssuerEntry(String origin, Map<String, Raw> fields) {}

  /** Null when the file has no {@code identity.issuers}. */
  List<IssuerEntry> issuers;
  String issuersOrigin;

  private final String name;

  private ConfigFile(String name) {
    this.name = name;
  }

  static ConfigFile read(Path path) throws ConfigException {
    String text;
    try {
      long size = Files.size(path);
      if (size > MAX_BYTES) {
        throw new ConfigException(
            "config file " + path + " is larger than " + MAX_BYTES + " bytes (" + size + ")");
      }
      text = StandardCharsets.UTF_8.newDecoder().decode(
          java.nio.ByteBuffer.wrap(Files.readAllBytes(path))).toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException("config file " + path + " is not valid UTF-8");
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read config file " + path + ": " + e.getClass().getSimpleName(), e);
    }
    ConfigFile file = new ConfigFile(String.valueOf(path.getFileName()));
    file.parse(text);
    return file;
  }

  private void parse(String text) throws ConfigException {
    Node root = compose(text);
    if (root == null) {
      return; // an empty file leaves every setting at its default
    }
    Map<String, Node> top = mapping(root, "the configuration");
    for (Map.Entry<String, Node> entry : top.entrySet()) {
      String key = entry.getKey();
      Node value = entry.getValue();
      Setting setting = Setting.byPath(key);
      if (setting != null) {
        values.put(setting, scalar(value, key));
      } else if (Setting.isSection(key)) {
        section(key, value);
      } else {
        throw error(value, "unknown setting '" + key + "'");
      }
    }
  }

  private void section(String section, Node node) throws ConfigException {
    for (Map.Entry<String, Node> entry : mapping(node, "'" + section + "'").entrySet()) {
      String path = section + "." + entry.getKey();
      Setting setting = Setting.byPath(path);
      if (setting != null) {
        values.put(setting, scalar(entry.getValue(), path));
      } else if (path.equals(Setting.ISSUERS_PATH)) {
        issuers(entry.getValue());
      } else {
        throw error(entry.getValue(), "unknown setting '" + path + "'");
      }
    }
  }

  private void issuers(Node node) throws ConfigException {
    if (!(node instanceof SequenceNode)) {
      throw error(node, Setting.ISSUERS_PATH + " must be a list");
    }
    issuersOrigin = where(node);
    issuers = new ArrayList<>();
    List<Node> items = ((SequenceNode) node).getValue();
    for (int i = 0; i < items.size(); i++) {
      String what = Setting.ISSUERS_PATH + "[" + i + "]";
      Map<String, Raw> fields = new LinkedHashMap<>();
      for (Map.Entry<String, Node> entry : mapping(items.get(i), what).entrySet()) {
        if (!ISSUER_FIELDS.contains(entry.getKey())) {
          throw error(entry.getValue(), "unknown setting '" + what + "." + entry.getKey()
              + "' (allowed: issuer, jwksFile, jwksUrl, discovery, caFile)");
        }
        fields.put(entry.getKey(), scalar(entry.getValue(), what + "." + entry.getKey()));
      }
      issuers.add(new IssuerEntry(where(items.get(i)), fields));
    }
  }

  private Map<String, Node> mapping(Node node, String what) throws ConfigException {
    if (!(node instanceof MappingNode)) {
      throw error(node, what + " must be a mapping");
    }
    Map<String, Node> result = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (NodeTuple tuple : ((MappingNode) node).getValue()) {
      Node keyNode = tuple.getKeyNode();
      if (!(keyNode instanceof ScalarNode) || !SCALAR_TAGS.contains(keyNode.getTag())) {
        throw error(keyNode, "keys in " + what + " must be plain names");
      }
      String key = ((ScalarNode) keyNode).getValue();
      if (!seen.add(key)) {
        throw error(keyNode, "'" + key + "' is set twice in " + what);
      }
      result.put(key, tuple.getValueNode());
    }
    return result;
  }

  /** A scalar's text; YAML null (an empty value) reads as "", which means unset. */
  private Raw scalar(Node node, String path) throws ConfigException {
    if (!(node instanceof ScalarNode)) {
      throw error(node, path + " must be a single value, got a "
          + (node instanceof MappingNode ? "mapping" : "list"));
    }
    if (!SCALAR_TAGS.contains(node.getTag())) {
      throw error(node, path + ": custom YAML tags are not allowed");
    }
    String text = node.getTag().equals(Tag.NULL) ? "" : ((ScalarNode) node).getValue();
    return new Raw(text, where(node));
  }

  private String where(Node node) {
    return name + " line " + (node.getStartMark().getLine() + 1);
  }

  private ConfigException error(Node node, String message) {
    return new ConfigException(where(node) + ": " + message);
  }

  private Node compose(String text) throws ConfigException {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(1); // second line of defence; aliases are refused below
    options.setAllowRecursiveKeys(false);
    options.setCodePointLimit(MAX_BYTES);
    options.setNestingDepthLimit(16);
    options.setMergeOnCompose(false);
    options.setTagInspector(tag -> false);
    Parser parser = new NoAliasParser(new ParserImpl(new StreamReader(text), options), name);
    try {
      return new Composer(parser, new Resolver(), options).getSingleNode();
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String line = mark == null ? "" : " line " + (mark.getLine() + 1);
      // getMessage() would quote part of the file; the problem text alone is short.
      throw new ConfigException(name + line + ": invalid YAML: " + shorten(e.getProblem()));
    } catch (YAMLException e) {
      throw new ConfigException(name + ": invalid YAML: " + shorten(e.getMessage()));
    } catch (AliasRefused e) {
      throw e.exception;
    }
  }

  private static String shorten(String problem) {
    if (problem == null) {
      return "unreadable document";
    }
    return problem.length() <= 80 ? problem : problem.substring(0, 80) + "...";
  }

  private static final class AliasRefused extends RuntimeException {
    final ConfigException exception;

    AliasRefused(ConfigException exception) {
      super(null, null, false, false);
      this.exception = exception;
    }
  }

  /** Fails on the first alias, before the composer could expand anything. */
  private static final class NoAliasParser implements Parser {
    private final Parser delegate;
    private final String name;

    NoAliasParser(Parser delegate, String name) {
      this.delegate = delegate;
      this.name = name;
    }

    @Override
    public boolean checkEvent(Event.ID choice) {
      return delegate.checkEvent(choice);
    }

    @Override
    public Event peekEvent() {
      return refuseAlias(delegate.peekEvent());
    }

    @Override
    public Event getEvent() {
      return refuseAlias(delegate.getEvent());
    }

    private Event refuseAlias(Event event) {
      if (event != null && event.is(Event.ID.Alias)) {
        throw new AliasRefused(new ConfigException(
            name + " line " + (event.getStartMark().getLine() + 1) + ": YAML aliases are not allowed"));
      }
      return event;
    }
  }
}
