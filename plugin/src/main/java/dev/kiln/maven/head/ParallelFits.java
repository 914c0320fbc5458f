package dev.kiln.maven.head;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Independent head fits (one per fold or pair of folds at one L2 strength) run side by side on
 * the machine's cores. Each fit is deterministic and single-threaded and its result lands in its
 * own slot, so what comes out does not depend on the number of threads: the same bytes on a
 * laptop and on CI. Threads are capped by the heap: each fit holds its rows as doubles.
 */
final class ParallelFits implements AutoCloseable {

  private final ExecutorService pool;
  private final int threads;

  /**
   * @param rows rows one fit holds at most
   * @param features features per row
   */
  ParallelFits(int rows, int features) {
    this(rows, features, Runtime.getRuntime().availableProcessors());
  }

  /**
   * @param rows rows one fit holds at most
   * @param features features per row
   * @param most the most threads (the machine's cores by default)
   */
  ParallelFits(int rows, int features, int most) {
    long perFit = 8L * Math.max(1, rows) * Math.max(1, features);
    long memory = Runtime.getRuntime().maxMemory() / 4 / perFit;
    threads = (int) Math.max(1, Math.min(most, memory));
    pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "kiln-head-fit");
      t.setDaemon(true);
      return t;
    });
  }

  /** @return how many fits run at once */
  int threads() {
    return threads;
  }

  /** @return each task's result, in the order given */
  <T> List<T> all(List<Callable<T>> tasks) {
    List<T> out = new ArrayList<>(tasks.size());
    try {
      if (pool == null) {
        for (Callable<T> t : tasks) {
          out.add(t.call());
        }
        return out;
      }
      for (Future<T> f : pool.invokeAll(tasks)) {
        out.add(f.get());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while fitting the head", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
