package io.keyward.keyserver.policy;

import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Composes a YAML document into a node tree without constructing any object: no tags are
 * instantiated, and aliases are refused at the parser, before the composer could expand them, so
 * an alias bomb costs nothing.
 */
final class SafeYaml {
  /** Scalar tags a policy may contain; anything else is an explicit custom tag. */
  static final Set<Tag> SCALAR_TAGS = Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.TIMESTAMP);

  private static final int MAX_PROBLEM_CHARS = 80;

  private SafeYaml() {}

  /** Thrown for malformed YAML; {@code line} is 1-based, the message quotes no document text. */
  static final class SyntaxError extends Exception {
    final int line;

    SyntaxError(int line, String message) {
      super(message, null, false, false);
      this.line = line;
    }
  }

  /** Returns the single document's root node, or null when the document is empty. */
  static Node compose(String document, int maxChars) throws SyntaxError {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(1); // second line of defence; aliases are refused below
    options.setAllowRecursiveKeys(false);
    options.setCodePointLimit(maxChars);
    options.setNestingDepthLimit(16);
    options.setMergeOnCompose(false);
    options.setTagInspector(tag -> false);
    Parser parser = new NoAliasParser(new ParserImpl(new StreamReader(document), options));
    try {
      return new Composer(parser, new Resolver(), options).getSingleNode();
    } catch (AliasRefused e) {
      throw new SyntaxError(e.line, "YAML aliases are not allowed");
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      int line = mark == null ? 1 : mark.getLine() + 1;
      // getMessage() would quote a snippet of the document; the problem text alone is short.
      throw new SyntaxError(line, "invalid YAML: " + shorten(e.getProblem()));
    } catch (YAMLException e) {
      throw new SyntaxError(1, "invalid YAML: " + shorten(e.getMessage()));
    }
  }

  static int line(Node node) {
    return node.getStartMark().getLine() + 1;
  }

  private static String shorten(String problem) {
    if (problem == null) {
      return "unreadable document";
    }
    return problem.length() <= MAX_PROBLEM_CHARS
        ? problem
        : problem.substring(0, MAX_PROBLEM_CHARS) + "...";
  }

  private static final class AliasRefused extends RuntimeException {
    final int line;

    AliasRefused(int line) {
      super("alias", null, false, false);
      this.line = line;
    }
  }

  /** Fails on the first alias event with its line, so nothing is ever expanded. */
  private static final class NoAliasParser implements Parser {
    private final Parser delegate;

    NoAliasParser(Parser delegate) {
      this.delegate = delegate;
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

    private static Event refuseAlias(Event event) {
      if (event != null && event.is(Event.ID.Alias)) {
        throw new AliasRefused(event.getStartMark().getLine() + 1);
      }
      return event;
    }
  }
}
