package io.keyward.bench;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Keeps exactly {@code inFlight} calls of one kind outstanding: a single dispatcher thread takes
 * a permit, starts an asynchronous call, and the call's completion returns the permit. Latency
 * is measured from just before the call starts to its completion, in microseconds.
 *
 * <p>Only calls that complete inside the measured window count towards ops/s and latency; errors
 * count whenever they happen, warm-up included, because any error fails the run.
 */
final class ClosedLoop {
  /** Longest latency the histograms track; a call cannot outlive its deadline anyway. */
  private static final long MAX_TRACKED_MICROS = TimeUnit.MINUTES.toMicros(10);
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  /** One kind of call. */
  interface Operation<R> {
    /** Starts call number {@code sequence}; it must end by calling {@code observer} exactly once. */
    void start(long sequence, StreamObserver<R> observer);

    /** Whether {@code response} is right for call {@code sequence}; a wrong one counts as an error. */
    default boolean accept(long sequence, R response) {
      return true;
    }
  }

  private final int inFlight;
  private final Duration drainLimit;
  private final LongSupplier databaseCpu;

  /** @param databaseCpu CPU nanoseconds the database used so far outside this process, -1 when unknown */
  ClosedLoop(int inFlight, Duration drainLimit, LongSupplier databaseCpu) {
    this.inFlight = inFlight;
    this.drainLimit = drainLimit;
    this.databaseCpu = databaseCpu;
  }

  ClosedLoop(int inFlight, Duration drainLimit) {
    this(inFlight, drainLimit, () -> -1);
  }

  /**
   * Runs {@code operation} for {@code warmup}, then measures it for {@code measure}, then waits
   * for the calls still in flight.
   *
   * @throws InterruptedException when the run is abandoned (time limit)
   */
  <R> PhaseResult run(String name, Operation<R> operation, Duration warmup, Duration measure)
      throws InterruptedException {
    Semaphore permits = new Semaphore(inFlight);
    Recorder recorder = new Recorder(MAX_TRACKED_MICROS, 3);
    Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    long warmEnd = start + warmup.toNanos();
    long end = warmEnd + measure.toNanos();
    long measureStart = warmup.isZero() ? start : -1;
    CpuSnapshot cpuStart = warmup.isZero() ? CpuSnapshot.take(databaseCpu) : null;
    long sequence = 0;
    for (long now = start; now - end < 0; now = System.nanoTime()) {
      if (measureStart < 0 && now - warmEnd >= 0) {
        recorder.getIntervalHistogram(); // drop what the warm-up recorded
        measureStart = now;
        cpuStart = CpuSnapshot.take(databaseCpu);
      }
      if (permits.tryAcquire(POLL_NANOS, TimeUnit.NANOSECONDS)) {
        start(operation, sequence++, recorder, errors, permits);
      }
    }
    Histogram measured = recorder.getIntervalHistogram();
    long measureEnd = System.nanoTime();
    CpuSnapshot cpuEnd = CpuSnapshot.take(databaseCpu);
    long cpu = cpuStart == null ? -1 : cpuEnd.processSince(cpuStart);
    long keyserverCpu = cpuStart == null ? -1 : cpuEnd.keyserverSince(cpuStart);
    long dbCpu = cpuStart == null ? -1 : cpuEnd.databaseSince(cpuStart);
    if (measureStart < 0) {
      measureStart = warmEnd;
    }
    // Let the calls in flight finish so that the next phase starts from an idle server and their
    // errors, if any, are counted.
    if (!permits.tryAcquire(inFlight, drainLimit.toNanos(), TimeUnit.NANOSECONDS)) {
      errors.computeIfAbsent("NOT_FINISHED_IN_TIME", k -> new LongAdder()).add(inFlight - permits.availablePermits());
    }
    Map<String, Long> errorCounts = new TreeMap<>();
    errors.forEach((code, count) -> errorCounts.put(code, count.sum()));
    return PhaseResult.of(name, measured, Duration.ofNanos(measureEnd - measureStart), cpu, keyserverCpu, dbCpu,
        errorCounts);
  }

  private static <R> void start(
      Operation<R> operation, long sequence, Recorder recorder, Map<String, LongAdder> errors, Semaphore permits) {
    long startNanos = System.nanoTime();
    StreamObserver<R> observer = new StreamObserver<>() {
      private boolean wrong;

      @Override
      public void onNext(R response) {
        wrong = !operation.accept(sequence, response);
      }

      @Override
      public void onError(Throwable t) {
        count(Status.fromThrowable(t).getCode().name());
        permits.release();
      }

      @Override
      public void onCompleted() {
        if (wrong) {
          count("WRONG_RESPONSE");
        } else {
          long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - startNanos);
          recorder.recordValue(Math.min(micros, MAX_TRACKED_MICROS));
        }
        permits.release();
      }

      private void count(String code) {
        errors.computeIfAbsent(code, k -> new LongAdder()).increment();
      }
    };
    try {
      operation.start(sequence, observer);
    } catch (RuntimeException e) {
      // A call that could not even start is an error like any other; keep the permit balance.
      observer.onError(e);
    }
  }
}
