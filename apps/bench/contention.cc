// SPDX-License-Identifier: Apache-2.0
#include "apps/bench/contention.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "bnn/engine.h"

namespace bnn::bench {
namespace {

// Median latency of `runs` runs of the model at `threads` threads.
double median_ms(const std::string& model_path, int threads, int runs) {
  const auto model = Model::load_file(model_path);
  Session session(model, SessionOptions{threads});
  std::vector<float> input(model->input().element_count(), 0.5f), output(model->output().element_count());
  session.run(input.data(), output.data());
  session.run(input.data(), output.data());
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    session.run(input.data(), output.data());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

pid_t fork_or_throw() {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("--contention: fork failed");
  return pid;
}

// A process that keeps one core busy until it is killed.
pid_t start_spinner() {
  const pid_t pid = fork_or_throw();
  if (pid == 0) {
    volatile unsigned long spin = 0;
    for (;;) spin = spin + 1;
  }
  return pid;
}

void stop(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// `processes` engine processes started together (each loads the model and
// warms up, then all start timing at once): the mean of their medians.
double shared_ms(const std::string& model_path, int threads, int runs, int processes) {
  int go[2], results[2];
  if (pipe(go) != 0 || pipe(results) != 0) throw std::runtime_error("--contention: pipe failed");
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = fork_or_throw();
    if (pid == 0) {
      close(go[1]);
      close(results[0]);
      double ms = -1;
      try {
        const auto model = Model::load_file(model_path);
        char byte;
        if (read(go[0], &byte, 1) != 1) _exit(1);  // all start together
        ms = median_ms(model_path, threads, runs);
      } catch (...) {
      }
      const ssize_t written = write(results[1], &ms, sizeof ms);
      _exit(written == sizeof ms ? 0 : 1);
    }
    children.push_back(pid);
  }
  close(go[0]);
  close(results[1]);
  const std::string start(static_cast<size_t>(processes), 'g');
  const bool started = write(go[1], start.data(), start.size()) == static_cast<ssize_t>(start.size());
  close(go[1]);
  double sum = 0;
  int got = 0;
  double ms;
  while (read(results[0], &ms, sizeof ms) == sizeof ms) {
    if (ms < 0) break;
    sum += ms;
    ++got;
  }
  close(results[0]);
  for (pid_t pid : children) waitpid(pid, nullptr, 0);
  if (!started || got != processes) throw std::runtime_error("--contention: a sharing process failed");
  return sum / processes;
}

}  // namespace

std::vector<ContentionRow> contention_study(const std::string& model_path, int runs) {
  std::vector<ContentionRow> rows;
  rows.push_back({"idle", median_ms(model_path, 1, runs), median_ms(model_path, 2, runs)});
  ContentionRow busy{"another process spins on one core"};
  const pid_t spinner = start_spinner();
  try {
    busy.ms_1 = median_ms(model_path, 1, runs);
    busy.ms_2 = median_ms(model_path, 2, runs);
  } catch (...) {
    stop(spinner);
    throw;
  }
  stop(spinner);
  rows.push_back(busy);
  rows.push_back({"three engine processes share the cores", shared_ms(model_path, 1, runs, 3),
                  shared_ms(model_path, 2, runs, 3)});
  return rows;
}

}  // namespace bnn::bench
