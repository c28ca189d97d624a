package io.keyward.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PostgresBackendCpuTest {
  @Test
  void cpuIsUserPlusSystemTicksAfterTheCommandName() {
    // A backend's command name holds spaces and parentheses; fields are counted after the last ')'.
    String stat = "4242 (postgres: postgres kw_bench_1 127.0.0.1(5) idle) S 1 4242 4242 0 -1 4194560"
        + " 881 0 0 0 137 29 0 0 20 0 1 0 185141 227196928 3011 18446744073709551615";
    assertEquals(137 + 29, PostgresBackendCpu.cpuTicks(stat));
  }
}
