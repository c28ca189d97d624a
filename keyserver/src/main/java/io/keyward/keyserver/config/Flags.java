package io.keyward.keyserver.config;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Parses {@code --name value} and {@code --name=value}; boolean flags may stand alone. */
final class Flags {
  private Flags() {}

  static Map<Setting, Raw> parse(List<String> args) throws ConfigException {
    Map<Setting, Raw> values = new EnumMap<>(Setting.class);
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new ConfigException("unexpected argument '" + Values.quote(arg)
            + "'; flags look like --name value or --name=value");
      }
      int eq = arg.indexOf('=');
      String name = eq > 0 ? arg.substring(0, eq) : arg;
      Setting setting = Setting.byFlag(name);
      if (setting == null) {
        throw new ConfigException("unknown flag '" + Values.quote(name) + "'");
      }
      String value;
      if (eq > 0) {
        value = arg.substring(eq + 1);
      } else if (setting.isBoolean()) {
        boolean explicit = i + 1 < args.size()
            && (args.get(i + 1).equals("true") || args.get(i + 1).equals("false"));
        value = explicit ? args.get(++i) : "true";
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      } else {
        throw new ConfigException("flag " + name + " needs a value");
      }
      if (values.put(setting, new Raw(value, "flag " + name)) != null) {
        throw new ConfigException("flag " + name + " is given more than once");
      }
    }
    return values;
  }
}
