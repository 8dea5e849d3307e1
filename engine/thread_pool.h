// SPDX-License-Identifier: Apache-2.0
// The threads inside a session's layers: the calling thread and `size - 1`
// workers.
//
// Why not OpenMP's static split: on a machine the engine shares (a Pi running
// a camera pipeline), one descheduled thread made the whole team wait out the
// scheduler's time slice at every one of dozens of barriers per inference
// (Bi-Real-18 with 2 threads: 160 ms against 8 ms alone). Here the caller
// works too, and tasks are claimed: each thread first takes the tasks of its
// own share in order (so a thread meets, layer after layer, the rows its own
// cache holds), then takes what is left of the others' shares, so a
// descheduled worker holds back at most the one task it is in. Nobody spins
// for long: workers poll for a new job for kSpin, then sleep on a condition
// variable; the caller polls for the last tasks for kSpin, then yields its
// core to the threads it waits for. And when a worker did hold a job up (the
// caller waited for it much longer than a task takes: it was not running),
// the caller runs the following jobs alone for a while (kSoloMin, doubling
// while it keeps happening, up to kSoloMax), then tries its workers again:
// on a machine whose cores are taken, one thread is the fastest there is.
//
// Which thread runs a task never changes a result: tasks write disjoint
// outputs, and `thread` only selects a scratch slice.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace bnn {

class ThreadPool {
 public:
  // A pool of `threads` (the caller and threads - 1 workers, started here).
  // `solo`: whether the caller may run jobs alone after a stalled worker
  // (off where a timing must be of all the threads: bnn-tune's trials).
  explicit ThreadPool(int threads, bool solo = true);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(thread, task) once for every task in [0, tasks), thread in
  // [0, size()), and returns when all have returned. tasks <= 65535; fn must
  // not throw (kernels do not). Not reentrant: one run() at a time per pool
  // (a session runs one model at a time).
  template <typename Fn>
  void run(int tasks, const Fn& fn) {
    if (tasks <= 0) return;
    if (workers_.empty() || tasks == 1 || (solo_ && std::chrono::steady_clock::now() < solo_until_)) {
      for (int i = 0; i < tasks; ++i) fn(0, i);
      return;
    }
    run_job(tasks, [](const void* f, int thread, int task) { (*static_cast<const Fn*>(f))(thread, task); }, &fn);
  }

  // How long a thread polls before it sleeps (workers) or yields (the caller).
  static constexpr std::chrono::microseconds kSpin{50};
  // A wait for workers longer than this plus two of the caller's tasks (a
  // worker that woke late is at most one task behind) means a worker was
  // descheduled.
  static constexpr std::chrono::microseconds kStall{1000};
  static constexpr std::chrono::milliseconds kSoloMin{100}, kSoloMax{2000};

 private:
  using Trampoline = void (*)(const void* fn, int thread, int task);
  void run_job(int tasks, Trampoline call, const void* fn);
  int work(int thread, uint32_t generation);  // runs claimed tasks; returns how many
  void worker_loop(int thread);
  void stop_and_join();

  // One share of the job's tasks per thread: generation (32 bits) | next
  // task (16) | end (16), one word so that a task is claimed only from the
  // job it was counted in. Each on its own cache line.
  struct alignas(64) Share {
    std::atomic<uint64_t> state{0};
  };
  bool claim(Share& share, uint32_t generation, int* task);

  std::vector<Share> shares_;
  alignas(64) std::atomic<uint32_t> generation_{0};  // published after the shares
  alignas(64) std::atomic<int> done_{0};  // incremented by every worker: its own line
  Trampoline call_ = nullptr;
  const void* fn_ = nullptr;
  bool solo_ = true;                                     // solo periods allowed
  std::chrono::steady_clock::time_point solo_until_{};  // the caller's alone until then
  std::chrono::milliseconds solo_for_{kSoloMin};        // the next such period

  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};  // set under mutex_, so a sleeper cannot miss it
  std::vector<std::thread> workers_;
};

}  // namespace bnn
