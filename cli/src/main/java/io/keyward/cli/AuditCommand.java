package io.keyward.cli;

import io.keyward.api.v1.AuditRecord;
import io.keyward.api.v1.ListAuditRecordsRequest;
import io.keyward.api.v1.VerifyAuditChainRequest;
import io.keyward.api.v1.VerifyAuditChainResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyward audit tail|verify}. */
@Command(name = "audit", description = "Read the keyserver's audit log and verify its hash chain.",
    subcommands = {AuditCommand.Tail.class, AuditCommand.Verify.class})
final class AuditCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "an audit verb is missing");
  }

  @Command(name = "tail", description = "Show the newest audit records, oldest first.",
      footerHeading = "%nExamples:%n", footer = {"  keyward audit tail", "  keyward audit tail -n 500 -o json"})
  static final class Tail extends Verb {
    @Option(names = {"-n", "--limit"}, paramLabel = "N", description = "How many records (1..1000; default 20).")
    int limit = 20;

    @Override
    int run() {
      if (limit < 1 || limit > 1000) {
        throw CliException.usage("--limit must be 1..1000, got " + limit);
      }
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        List<AuditRecord> records = ks.admin().listAuditRecords(
            ListAuditRecordsRequest.newBuilder().setTail(true).setLimit(limit).build()).getRecordsList();
        Output out = output();
        if (out.json()) {
          out.printJson(records.stream().map(AuditCommand::json).toList());
        } else {
          out.printTable(List.of("SEQ", "TIME", "CALLER", "OPERATION", "KEY", "VERSION", "OUTCOME"),
              records.stream().map(r -> List.of(String.valueOf(r.getSequence()), KeyViews.time(r.getTime()),
                  r.getCaller().isEmpty() ? "-" : r.getCaller(), r.getOperation(),
                  r.getKeyName().isEmpty() ? "-" : r.getKeyName(),
                  r.getKeyVersion() == 0 ? "-" : String.valueOf(r.getKeyVersion()), r.getOutcome())).toList());
        }
        return ExitCodes.OK;
      }
    }
  }

  @Command(name = "verify", description = {
      "Walk the audit hash chain. Exit 0 when intact; exit 1 naming the first broken record."})
  static final class Verify extends Verb {
    @Override
    int run() {
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        VerifyAuditChainResponse r = ks.admin().verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance());
        Output out = output();
        if (out.json()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("intact", r.getIntact());
          m.put("recordsChecked", r.getRecordsChecked());
          m.put("firstBrokenSequence", r.getIntact() ? null : r.getFirstBrokenSequence());
          m.put("reason", r.getIntact() ? null : r.getReason());
          out.printJson(m);
        } else if (r.getIntact()) {
          out.println("audit chain intact: " + r.getRecordsChecked() + " records verified");
        } else {
          out.println("audit chain BROKEN at record " + r.getFirstBrokenSequence() + ": " + r.getReason()
              + " (" + r.getRecordsChecked() + " records checked)");
        }
        return r.getIntact() ? ExitCodes.OK : ExitCodes.FAILED;
      }
    }
  }

  static Map<String, Object> json(AuditRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sequence", r.getSequence());
    m.put("time", KeyViews.time(r.getTime()));
    m.put("requestId", r.getRequestId());
    m.put("caller", r.getCaller());
    m.put("operation", r.getOperation());
    m.put("keyName", r.getKeyName());
    m.put("keyVersion", r.getKeyVersion());
    m.put("outcome", r.getOutcome());
    m.put("hash", r.getHash());
    return m;
  }
}
