package io.keyward.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.keyward.cli.rewrap.RewrapResult;
import io.keyward.cli.rewrap.Rewrapper;
import io.keyward.cli.rewrap.SdkRewrapper;
import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.KeyVersionUnusableException;
import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.format.Header;
import io.keyward.sdk.format.TextForm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyward rewrap}: moves stored ciphertexts to their key's primary version. */
@Command(name = "rewrap",
    description = {
        "Move stored ciphertexts to their key's primary version.",
        "Afterwards older versions can be retired with `keys set-min-decryption-version`.",
        "Input: text-form ciphertexts (kw1....), one per line (blank lines are kept), from FILEs or "
            + "stdin; or, with --json-field, JSON documents (one or more per file, written back one "
            + "per line) whose fields at the given paths hold ciphertexts. A record that cannot be "
            + "rewrapped is reported and written out unchanged; the others continue.",
        "With ciphertext format version 1 the key version and wrapped data key are authenticated "
            + "with the payload, so each ciphertext is decrypted and encrypted again in memory "
            + "(needs the decrypt and encrypt permissions); the plaintext is never written anywhere.",
        "Writing files (--in-place or --output-file) is resumable: progress is journalled next to "
            + "the output (FILE.keyward-rewrap) and a rerun continues where an interrupted run "
            + "stopped; the result replaces the target atomically at the end."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  keyward rewrap --in-place --context app=orders ciphertexts.txt",
        "  keyward rewrap --context app=orders < old.txt > new.txt",
        "  keyward rewrap --in-place --json-field 'customers.*.ssn' --context-field tenant=tenantId docs.json"})
final class RewrapCommand extends Verb {
  enum ProgressMode { auto, always, never }

  @Parameters(arity = "0..*", paramLabel = "FILE", description = "Input files; none or '-' reads stdin.")
  List<String> files = new ArrayList<>();

  @Option(names = "--in-place", description = "Replace each FILE atomically with its rewrapped version.")
  boolean inPlace;

  @Option(names = "--output-file", paramLabel = "FILE", description = "Write the result here (one input only).")
  Path outputFile;

  @Option(names = "--context", paramLabel = "KEY=VALUE",
      description = "Encryption context the ciphertexts were made with (repeatable).")
  Map<String, String> context = new LinkedHashMap<>();

  @Option(names = "--json-field", paramLabel = "PATH",
      description = "Dotted path to a ciphertext field in each JSON document; '*' matches any field or array element (repeatable).")
  List<String> jsonFields = new ArrayList<>();

  @Option(names = "--context-field", paramLabel = "KEY=PATH",
      description = "Context entry KEY taken from the document field at PATH (JSON input; repeatable).")
  Map<String, String> contextFields = new LinkedHashMap<>();

  @Option(names = "--progress", paramLabel = "auto|always|never",
      description = "Progress bar on stderr; auto: only on a terminal (default).")
  ProgressMode progress = ProgressMode.auto;

  @Option(names = "--restart", description = "Ignore the journal of an interrupted run and start over.")
  boolean restart;

  private final Summary summary = new Summary();

  @Override
  int run() throws IOException {
    boolean stdin = files.isEmpty() || files.equals(List.of("-"));
    if (stdin && inPlace) {
      throw CliException.usage("--in-place needs FILE arguments");
    }
    if (inPlace && outputFile != null) {
      throw CliException.usage("use either --in-place or --output-file");
    }
    if (outputFile != null && files.size() != 1) {
      throw CliException.usage("--output-file takes exactly one input FILE");
    }
    if (!contextFields.isEmpty() && jsonFields.isEmpty()) {
      throw CliException.usage("--context-field needs --json-field");
    }
    for (String f : files) {
      if (!f.equals("-") && !Files.isRegularFile(Path.of(f))) {
        throw new CliException(ExitCodes.NOT_FOUND, "no such file: " + f);
      }
    }
    boolean showProgress = progress == ProgressMode.always || (progress == ProgressMode.auto && root().context.interactive());
    try (KeyserverConnection ks = KeyserverConnection.open(global()); KeywardClient client = ks.client()) {
      Rewrapper rewrapper = new SdkRewrapper(client);
      Job job = new Job(rewrapper, ks, showProgress);
      currentJob = job;
      if (stdin) {
        job.streamed("stdin", root().context.in(), out());
      } else {
        for (String f : files) {
          Path source = Path.of(f);
          job.toFile(source, inPlace ? source : outputFile != null ? outputFile : null);
        }
      }
    }
    // With results on stdout the summary must not mix into them.
    boolean resultsOnStdout = stdin || (!inPlace && outputFile == null);
    summary.print(resultsOnStdout ? new Output(err(), global().json()) : output());
    return summary.failed > 0 ? ExitCodes.FAILED : ExitCodes.OK;
  }

  /** Processes records of one source at a time. */
  private final class Job {
    private final Rewrapper rewrapper;
    private final KeyserverConnection ks;
    private final boolean showProgress;

    Job(Rewrapper rewrapper, KeyserverConnection ks, boolean showProgress) {
      this.rewrapper = rewrapper;
      this.ks = ks;
      this.showProgress = showProgress;
    }

    void streamed(String name, InputStream in, OutputStream out) throws IOException {
      Progress p = new Progress(err(), showProgress, -1);
      Records records = records(new InputStreamReader(in, StandardCharsets.UTF_8));
      long n = 0;
      while (records.hasNext()) {
        n++;
        out.write(records.next(name, n).getBytes(StandardCharsets.UTF_8));
        p.advance();
      }
      out.flush();
      p.finish();
    }

    /** To a file ({@code target}), or to stdout when {@code target} is null (not resumable). */
    void toFile(Path source, Path target) throws IOException {
      if (target == null) {
        try (InputStream in = Files.newInputStream(source)) {
          streamed(source.toString(), in, out());
        }
        return;
      }
      long inputSize = Files.size(source);
      long inputModified = Files.getLastModifiedTime(source).toMillis();
      Path tmp = RewrapJournal.tempFor(target);
      Optional<RewrapJournal> journal = restart ? Optional.empty() : RewrapJournal.read(target);
      if (journal.isPresent() && (journal.get().inputSize() != inputSize || journal.get().inputModified() != inputModified
          || !Files.exists(tmp))) {
        throw new CliException(ExitCodes.FAILED, source + " changed since the interrupted rewrap (journal "
            + RewrapJournal.fileFor(target) + "); rerun with --restart");
      }
      long skip = journal.map(RewrapJournal::records).orElse(0L);
      long total = jsonFields.isEmpty() ? countLines(source) : -1;
      Progress p = new Progress(err(), showProgress, total);
      Summary before = new Summary();
      journal.ifPresent(j -> {
        before.rewrapped = j.rewrapped();
        before.current = j.current();
        before.failed = j.failed();
        err().println("keyward: resuming " + source + " after " + j.records() + " records");
      });
      long[] counted = {summary.rewrapped, summary.current, summary.failed};
      try (Reader reader = Files.newBufferedReader(source, StandardCharsets.UTF_8);
           FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        channel.truncate(journal.map(RewrapJournal::outputBytes).orElse(0L));
        channel.position(channel.size());
        OutputStream out = Channels.newOutputStream(channel);
        Records records = records(reader);
        long n = 0;
        long lastJournal = System.nanoTime();
        while (records.hasNext()) {
          n++;
          if (n <= skip) {
            records.skip();
            p.advance();
            continue;
          }
          out.write(records.next(source.toString(), n).getBytes(StandardCharsets.UTF_8));
          p.advance();
          if (System.nanoTime() - lastJournal > 500_000_000L) {
            channel.force(false);
            new RewrapJournal(n, channel.size(), before.rewrapped + summary.rewrapped - counted[0],
                before.current + summary.current - counted[1], before.failed + summary.failed - counted[2],
                inputSize, inputModified).write(target);
            lastJournal = System.nanoTime();
          }
        }
        channel.force(true);
      }
      p.finish();
      // Journal first: a crash before the move then restarts from scratch instead of refusing
      // a replaced input.
      Files.deleteIfExists(RewrapJournal.fileFor(target));
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      summary.rewrapped += before.rewrapped;
      summary.current += before.current;
      summary.failed += before.failed;
    }

    private Records records(Reader reader) throws IOException {
      return jsonFields.isEmpty() ? new TextRecords(new BufferedReader(reader)) : new JsonRecords(reader);
    }

    /** Rewraps one text-form ciphertext; on failure records why and returns the input unchanged. */
    String rewrapText(String text, Map<String, String> ctx, String where) {
      String trimmed = text.trim();
      byte[] binary;
      try {
        binary = TextForm.decode(trimmed);
        Header.parse(binary);
      } catch (DecryptionFailedException e) {
        summary.fail(where, "malformed ciphertext (not a Keyward kw1. text ciphertext)");
        return text;
      }
      try {
        RewrapResult result = rewrapper.rewrap(binary, ctx);
        if (result.alreadyCurrent()) {
          summary.current++;
          return text;
        }
        summary.rewrapped++;
        return TextForm.encode(result.ciphertext());
      } catch (KeyVersionUnusableException e) {
        summary.fail(where, VersionDiagnosis.explain(ks, binary, e));
      } catch (UnsupportedOperationException e) {
        summary.fail(where, e.getMessage());
      } catch (RuntimeException e) {
        summary.fail(where, Failures.message(e));
      }
      return text;
    }
  }

  /** A sequence of input records, each rewritten to its output text (with its line end). */
  private interface Records {
    boolean hasNext() throws IOException;

    String next(String source, long number) throws IOException;

    void skip() throws IOException;
  }

  private final class TextRecords implements Records {
    private final BufferedReader reader;
    private String line;

    TextRecords(BufferedReader reader) {
      this.reader = reader;
    }

    @Override
    public boolean hasNext() throws IOException {
      if (line == null) {
        line = reader.readLine();
      }
      return line != null;
    }

    @Override
    public String next(String source, long number) {
      String current = line;
      line = null;
      if (current.isBlank()) {
        return current + "\n";
      }
      return jobRewrap(current, context, source + ":" + number) + "\n";
    }

    @Override
    public void skip() {
      line = null;
    }
  }

  private final class JsonRecords implements Records {
    private final Iterator<JsonNode> documents;

    JsonRecords(Reader reader) throws IOException {
      JsonParser parser = Output.JSON.getFactory().createParser(reader);
      MappingIterator<JsonNode> it = Output.JSON.readerFor(JsonNode.class).readValues(parser);
      this.documents = it;
    }

    @Override
    public boolean hasNext() {
      try {
        return documents.hasNext();
      } catch (RuntimeException e) {
        throw CliException.usage("input is not valid JSON: " + firstLine(e.getMessage()));
      }
    }

    @Override
    public String next(String source, long number) throws IOException {
      JsonNode doc = documents.next();
      Map<String, String> ctx = new LinkedHashMap<>(context);
      String where = source + ": document " + number;
      for (Map.Entry<String, String> cf : contextFields.entrySet()) {
        List<JsonPaths.Slot> found = JsonPaths.slots(doc, cf.getValue());
        if (found.size() != 1 || !found.get(0).value().isValueNode()) {
          summary.fail(where, "context field " + cf.getKey() + "=" + cf.getValue() + " does not name exactly one value");
          return compact(doc);
        }
        ctx.put(cf.getKey(), found.get(0).value().asText());
      }
      for (String path : jsonFields) {
        for (JsonPaths.Slot slot : JsonPaths.slots(doc, path)) {
          JsonNode value = slot.value();
          String at = where + " field " + path;
          if (value == null || !value.isTextual()) {
            summary.fail(at, "not a string");
            continue;
          }
          String rewritten = jobRewrap(value.asText(), ctx, at);
          if (slot.field() == null) {
            ((ArrayNode) slot.parent()).set(slot.index(), TextNode.valueOf(rewritten));
          } else {
            ((ObjectNode) slot.parent()).set(slot.field(), TextNode.valueOf(rewritten));
          }
        }
      }
      return compact(doc);
    }

    private String compact(JsonNode doc) throws IOException {
      return Output.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(doc) + "\n";
    }

    @Override
    public void skip() {
      documents.next();
    }
  }

  private Job currentJob;

  private String jobRewrap(String text, Map<String, String> ctx, String where) {
    return currentJob.rewrapText(text, ctx, where);
  }

  private static long countLines(Path file) throws IOException {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return r.lines().filter(l -> !l.isBlank()).count();
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** Counts and reasons, printed at the end. */
  static final class Summary {
    long rewrapped;
    long current;
    long failed;
    final List<Map<String, String>> failures = new ArrayList<>();

    void fail(String where, String reason) {
      failed++;
      if (failures.size() < 1000) {
        failures.add(Map.of("at", where, "reason", reason));
      }
    }

    void print(Output out) {
      if (out.json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rewrapped", rewrapped);
        m.put("alreadyCurrent", current);
        m.put("failed", failed);
        m.put("failures", failures);
        out.printJson(m);
        return;
      }
      out.printFields(List.of(
          new String[] {"rewrapped", String.valueOf(rewrapped)},
          new String[] {"already current", String.valueOf(current)},
          new String[] {"failed", String.valueOf(failed)}));
      for (Map<String, String> f : failures) {
        out.println("  " + f.get("at") + ": " + f.get("reason"));
      }
    }
  }
}
