package io.keyward.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyward.api.v1.GetPolicyRequest;
import io.keyward.api.v1.Policy;
import io.keyward.api.v1.PutPolicyRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyward policy show|apply}. */
@Command(name = "policy", description = "Show and change the keyserver's access policy (docs/policy.md).",
    subcommands = {PolicyCommand.Show.class, PolicyCommand.Apply.class})
final class PolicyCommand implements Runnable {
  private static final int MAX_POLICY_BYTES = 1 << 20;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a policy verb is missing");
  }

  @Command(name = "show", description = "Print the stored policy document (table output: the YAML as stored).",
      footerHeading = "%nExample:%n", footer = "  keyward policy show > policy.yaml")
  static final class Show extends Verb {
    @Override
    int run() {
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        Policy p = ks.admin().getPolicy(GetPolicyRequest.getDefaultInstance());
        Output out = output();
        if (out.json()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("revision", p.getRevision());
          m.put("updateTime", p.hasUpdateTime() ? KeyViews.time(p.getUpdateTime()) : null);
          m.put("document", p.getDocument());
          out.printJson(m);
        } else {
          // stdout holds exactly the stored document, so `policy show > f; policy apply f` is a no-op.
          err().println("keyward: policy revision " + p.getRevision()
              + (p.hasUpdateTime() ? ", updated " + KeyViews.time(p.getUpdateTime()) : ""));
          out.println(p.getDocument().stripTrailing());
        }
        return ExitCodes.OK;
      }
    }
  }

  @Command(name = "apply", description = {
      "Validate FILE on the keyserver, show what changes, then store it.",
      "A document with errors is rejected with every error and its line number, and nothing is "
          + "stored. The store is conditional on the revision that was diffed against, so a "
          + "concurrent change is not overwritten."},
      footerHeading = "%nExamples:%n",
      footer = {"  keyward policy apply policy.yaml --dry-run", "  keyward policy apply policy.yaml"})
  static final class Apply extends Verb {
    @Parameters(paramLabel = "FILE")
    Path file;

    @Option(names = "--dry-run", description = "Validate and show the change; store nothing.")
    boolean dryRun;

    @Override
    int run() throws IOException {
      if (!Files.isRegularFile(file)) {
        throw new CliException(ExitCodes.NOT_FOUND, "no such file: " + file);
      }
      if (Files.size(file) > MAX_POLICY_BYTES) {
        throw CliException.usage("policy file is larger than 1 MiB: " + file);
      }
      String document = Files.readString(file, StandardCharsets.UTF_8);
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        try {
          ks.admin().putPolicy(PutPolicyRequest.newBuilder().setDocument(document).setValidateOnly(true).build());
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
            String detail = e.getStatus().getDescription() == null ? "" : e.getStatus().getDescription();
            // The keyserver joins its "line N: ..." errors with "; "; show one per line.
            String errors = detail.replaceFirst("^policy rejected: ", "").replace("; line ", "\n  " + file + ": line ");
            throw CliException.usage("policy " + file + " is invalid; nothing was applied:\n  " + file + ": " + errors);
          }
          throw e;
        }
        Policy current = ks.admin().getPolicy(GetPolicyRequest.getDefaultInstance());
        List<String> diff = LineDiff.diff(current.getDocument(), document);
        Output out = output();
        long revision = current.getRevision();
        boolean stored = false;
        if (!dryRun && !diff.isEmpty()) {
          Policy put = ks.admin().putPolicy(PutPolicyRequest.newBuilder().setDocument(document)
              .setExpectedRevision(current.getRevision()).build());
          revision = put.getRevision();
          stored = true;
        }
        if (out.json()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("valid", true);
          m.put("changed", !diff.isEmpty());
          m.put("applied", stored);
          m.put("revision", revision);
          m.put("diff", diff);
          out.printJson(m);
        } else {
          diff.forEach(out::println);
          if (diff.isEmpty()) {
            out.println("policy is valid and unchanged (revision " + revision + ")");
          } else if (stored) {
            out.println("policy applied: revision " + revision);
          } else {
            out.println("policy is valid; not applied (--dry-run)");
          }
        }
        return ExitCodes.OK;
      }
    }
  }
}
