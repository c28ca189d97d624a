package io.keyward.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where an interrupted rewrap of one file stopped: how many input records are done, how many
 * bytes of the temporary output hold them, the counts so far, and the input's size and
 * modification time (a changed input is not resumed). Written atomically after the temporary
 * output was forced to disk, so the journal never claims more than the disk holds.
 */
record RewrapJournal(long records, long outputBytes, long rewrapped, long current, long failed,
    long inputSize, long inputModified) {

  static Path fileFor(Path target) {
    return target.resolveSibling(target.getFileName() + ".keyward-rewrap");
  }

  static Path tempFor(Path target) {
    return target.resolveSibling(target.getFileName() + ".keyward-rewrap.tmp");
  }

  static Optional<RewrapJournal> read(Path target) throws IOException {
    Path file = fileFor(target);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    Map<String, Long> values = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        try {
          values.put(line.substring(0, eq).trim(), Long.parseLong(line.substring(eq + 1).trim()));
        } catch (NumberFormatException e) {
          throw new CliException(ExitCodes.FAILED, "rewrap journal " + file + " is damaged; rerun with --restart");
        }
      }
    }
    for (String k : new String[] {"records", "outputBytes", "rewrapped", "current", "failed", "inputSize", "inputModified"}) {
      if (!values.containsKey(k)) {
        throw new CliException(ExitCodes.FAILED, "rewrap journal " + file + " is damaged; rerun with --restart");
      }
    }
    return Optional.of(new RewrapJournal(values.get("records"), values.get("outputBytes"), values.get("rewrapped"),
        values.get("current"), values.get("failed"), values.get("inputSize"), values.get("inputModified")));
  }

  void write(Path target) throws IOException {
    Path file = fileFor(target);
    Path tmp = file.resolveSibling(file.getFileName() + ".new");
    Files.writeString(tmp, "records=" + records + "\noutputBytes=" + outputBytes + "\nrewrapped=" + rewrapped
        + "\ncurrent=" + current + "\nfailed=" + failed + "\ninputSize=" + inputSize
        + "\ninputModified=" + inputModified + "\n");
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

}
