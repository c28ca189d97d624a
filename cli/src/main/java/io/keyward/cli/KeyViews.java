package io.keyward.cli;

import com.google.protobuf.Timestamp;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyVersion;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Renders keys (the AdminService {@code Key} message) as table rows, fields and JSON. */
final class KeyViews {
  private KeyViews() {}

  static Map<String, Object> json(Key key) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", key.getName());
    m.put("primaryVersion", key.getPrimaryVersion());
    m.put("minDecryptionVersion", key.getMinDecryptionVersion());
    m.put("rotationPeriod", rotation(key));
    m.put("rotateAfterDataKeys", key.getRotateAfterDataKeys() == 0 ? null : key.getRotateAfterDataKeys());
    m.put("createTime", time(key.getCreateTime()));
    List<Map<String, Object>> versions = new ArrayList<>();
    for (KeyVersion v : key.getVersionsList()) {
      Map<String, Object> vm = new LinkedHashMap<>();
      vm.put("version", v.getVersion());
      vm.put("state", v.getState().name());
      vm.put("primary", v.getVersion() == key.getPrimaryVersion());
      vm.put("createTime", time(v.getCreateTime()));
      vm.put("destroyTime", v.hasDestroyTime() ? time(v.getDestroyTime()) : null);
      vm.put("dataKeysIssued", v.getDataKeysIssued());
      versions.add(vm);
    }
    m.put("versions", versions);
    return m;
  }

  static List<String> listHeaders() {
    return List.of("NAME", "PRIMARY", "MIN-DECRYPT", "VERSIONS", "ROTATION", "CREATED");
  }

  static List<String> listRow(Key key) {
    return List.of(key.getName(), String.valueOf(key.getPrimaryVersion()),
        String.valueOf(key.getMinDecryptionVersion()), String.valueOf(key.getVersionsCount()),
        rotationSummary(key), time(key.getCreateTime()));
  }

  static void describe(Output out, Key key) {
    out.printFields(List.of(
        new String[] {"Key", key.getName()},
        new String[] {"Primary version", String.valueOf(key.getPrimaryVersion())},
        new String[] {"Minimum decryption version", String.valueOf(key.getMinDecryptionVersion())},
        new String[] {"Rotation", rotationSummary(key)},
        new String[] {"Created", time(key.getCreateTime())}));
    out.println("");
    List<List<String>> rows = new ArrayList<>();
    for (KeyVersion v : key.getVersionsList()) {
      String version = v.getVersion() + (v.getVersion() == key.getPrimaryVersion() ? " (primary)" : "");
      String note = v.getVersion() < key.getMinDecryptionVersion() ? "below minimum: does not decrypt" : "";
      rows.add(List.of(version, v.getState().name(), time(v.getCreateTime()),
          String.valueOf(v.getDataKeysIssued()), v.hasDestroyTime() ? time(v.getDestroyTime()) : "-", note));
    }
    out.printTable(List.of("VERSION", "STATE", "CREATED", "DATA-KEYS", "DESTROY-AT", "NOTE"), rows);
  }

  static String rotationSummary(Key key) {
    List<String> parts = new ArrayList<>();
    if (rotation(key) != null) {
      parts.add("every " + rotation(key));
    }
    if (key.getRotateAfterDataKeys() != 0) {
      parts.add("after " + key.getRotateAfterDataKeys() + " data keys");
    }
    return parts.isEmpty() ? "manual" : String.join(", ", parts);
  }

  private static String rotation(Key key) {
    if (!key.hasRotationPeriod()) {
      return null;
    }
    Duration d = Duration.ofSeconds(key.getRotationPeriod().getSeconds(), key.getRotationPeriod().getNanos());
    return d.isZero() ? null : Durations.format(d);
  }

  static String time(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
  }
}
