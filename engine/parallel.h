// Splitting a layer's output rows over threads. Threads split outputs, never a
// sum, so every output has one reduction order whatever the thread count.
#pragma once

namespace bnn {

int current_thread();
int team_size();

// Calls fn(thread, row_begin, row_end) on `threads` threads with contiguous,
// disjoint row ranges covering [0, rows).
template <typename Fn>
void parallel_rows(int threads, int rows, const Fn& fn) {
  if (threads <= 1 || rows < 2) {
    fn(0, 0, rows);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = current_thread(), n = team_size();
    const int begin = static_cast<int>(static_cast<long long>(rows) * t / n);
    const int end = static_cast<int>(static_cast<long long>(rows) * (t + 1) / n);
    if (begin < end) fn(t, begin, end);
  }
}

}  // namespace bnn
