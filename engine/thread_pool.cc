// SPDX-License-Identifier: Apache-2.0
#include "engine/thread_pool.h"

#include <algorithm>
#include <cassert>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace bnn {
namespace {

using Clock = std::chrono::steady_clock;

// A polite poll: tells the core (and an SMT sibling) that this thread waits.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield");
#endif
}

constexpr int kTaskBits = 16;
constexpr uint64_t kTaskMask = (uint64_t{1} << kTaskBits) - 1;

uint32_t generation_of(uint64_t state) { return static_cast<uint32_t>(state >> 32); }
uint64_t share_state(uint32_t generation, uint64_t next, uint64_t end) {
  return uint64_t{generation} << 32 | next << kTaskBits | end;
}

}  // namespace

ThreadPool::ThreadPool(int threads, bool solo) : shares_(static_cast<size_t>(threads > 1 ? threads : 1)), solo_(solo) {
  workers_.reserve(threads > 1 ? threads - 1 : 0);
  try {
    for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
  } catch (...) {
    stop_and_join();  // the workers already started must not outlive a failed pool
    throw;
  }
}

ThreadPool::~ThreadPool() { stop_and_join(); }

void ThreadPool::stop_and_join() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::run_job(int tasks, Trampoline call, const void* fn) {
  assert(tasks <= static_cast<int>(kTaskMask));  // parallel_ranges makes at most kMaxThreads * kTasksPerThread
  call_ = call;
  fn_ = fn;
  done_.store(0, std::memory_order_relaxed);
  const uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
  const uint64_t n = shares_.size();
  for (uint64_t i = 0; i < n; ++i) {
    shares_[i].state.store(share_state(generation, tasks * i / n, tasks * (i + 1) / n), std::memory_order_relaxed);
  }
  // Publishing the generation releases the shares, call_, fn_ and done_.
  generation_.store(generation, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard<std::mutex> lock(mutex_); }  // a sleeper is waiting, or will see the new job
    wake_.notify_all();
  }
  const Clock::time_point begin = Clock::now();
  const int own = work(0, generation);
  // The tasks still running are each held by one worker; poll briefly, then
  // give this core to them (on a busy machine they may share it with us).
  const Clock::time_point start = Clock::now();
  for (int polls = 0; done_.load(std::memory_order_acquire) < tasks; ++polls) {
    if (polls < 64 || Clock::now() - start < kSpin) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
  const Clock::time_point end = Clock::now();
  // (A caller that ran no task knows no task's length: no verdict then.)
  if (own > 0 && end - start > kStall + 2 * (start - begin) / own) {
    solo_until_ = end + solo_for_;
    solo_for_ = std::min(solo_for_ * 2, kSoloMax);
  } else {
    solo_for_ = kSoloMin;
  }
}

bool ThreadPool::claim(Share& share, uint32_t generation, int* task) {
  uint64_t s = share.state.load(std::memory_order_acquire);
  for (;;) {
    if (generation_of(s) != generation) return false;  // an older job's share, or a newer one
    const uint64_t next = (s >> kTaskBits) & kTaskMask, end = s & kTaskMask;
    if (next >= end) return false;
    if (share.state.compare_exchange_weak(s, s + (uint64_t{1} << kTaskBits), std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
      *task = static_cast<int>(next);
      return true;
    }
  }
}

int ThreadPool::work(int thread, uint32_t generation) {
  int ran = 0;
  const size_t n = shares_.size();
  // Its own share first, then the others', each from the next thread on.
  for (size_t k = 0; k < n; ++k) {
    Share& share = shares_[(static_cast<size_t>(thread) + k) % n];
    int task;
    while (claim(share, generation, &task)) {
      // A claimed task keeps its job alive (run_job waits for it), so call_
      // and fn_ are still this job's.
      call_(fn_, thread, task);
      done_.fetch_add(1, std::memory_order_release);
      ++ran;
    }
  }
  return ran;
}

void ThreadPool::worker_loop(int thread) {
  uint32_t seen = 0;  // the last job this worker looked at
  for (;;) {
    Clock::time_point start = Clock::now();
    uint32_t generation;
    for (int polls = 0;; ++polls) {
      generation = generation_.load(std::memory_order_acquire);
      if (generation != seen) break;
      if (stop_.load(std::memory_order_relaxed)) return;
      if ((polls & 15) != 15 || Clock::now() - start < kSpin) {
        cpu_relax();
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      wake_.wait(lock, [&] {
        return stop_.load(std::memory_order_relaxed) || generation_.load(std::memory_order_seq_cst) != seen;
      });
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
      if (stop_.load(std::memory_order_relaxed)) return;
      start = Clock::now();
    }
    seen = generation;
    work(thread, generation);
  }
}

}  // namespace bnn
