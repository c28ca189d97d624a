package io.keyward.cli;

import java.util.ArrayList;
import java.util.List;

/** A minimal line diff (longest common subsequence) for showing what a policy change does. */
final class LineDiff {
  private static final int MAX_LINES = 5000;

  private LineDiff() {}

  /** Lines prefixed {@code "- "} (removed) and {@code "+ "} (added); empty when equal. */
  static List<String> diff(String before, String after) {
    List<String> a = before.lines().toList();
    List<String> b = after.lines().toList();
    List<String> out = new ArrayList<>();
    if (a.size() > MAX_LINES || b.size() > MAX_LINES) {
      if (!a.equals(b)) {
        out.add("~ documents differ (too long to diff: " + a.size() + " and " + b.size() + " lines)");
      }
      return out;
    }
    int[][] lcs = new int[a.size() + 1][b.size() + 1];
    for (int i = a.size() - 1; i >= 0; i--) {
      for (int j = b.size() - 1; j >= 0; j--) {
        lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    int i = 0;
    int j = 0;
    while (i < a.size() || j < b.size()) {
      if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
        i++;
        j++;
      } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
        out.add("- " + a.get(i++)); // removals before additions, as in a unified diff
      } else {
        out.add("+ " + b.get(j++));
      }
    }
    return out;
  }
}
