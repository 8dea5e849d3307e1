#include "apps/common/cli.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "model_format/printable_text.h"

namespace bnn::cli {
namespace {
const char* g_program = "bnn";

// At exit: a report that could not be written (a full disk, /dev/full, a
// closed pipe's EPIPE with SIGPIPE ignored) makes the tool fail, not exit 0.
void check_stdout_at_exit() {
  errno = 0;
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return;
  std::fprintf(stderr, "%s: error: cannot write standard output (%s)\n", g_program,
               errno ? std::strerror(errno) : "a write failed");
  std::_Exit(1);
}

}  // namespace

void set_program(const char* name) {
  g_program = name;
  std::atexit(check_stdout_at_exit);
  // A write past RLIMIT_FSIZE then fails with EFBIG, which the tool reports
  // (and cleans up after), instead of the signal killing it mid-file.
  std::signal(SIGXFSZ, SIG_IGN);
}

void usage_error(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n(see %s --help)\n", g_program, message.c_str(), g_program);
  std::exit(2);
}

std::string message(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) {
    return "out of memory (the input asks for more memory than this machine can give)";
  }
  return e.what();
}

std::string describe(const std::exception& e) { return printable(message(e)); }

int parse_count(const std::string& flag, const char* text, int min, int max) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (!*text || *end || v < min || v > max) {
    usage_error(flag + " needs a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int>(v);
}

}  // namespace bnn::cli
