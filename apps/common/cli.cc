// SPDX-License-Identifier: Apache-2.0
#include "apps/common/cli.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "bnn/bnn.h"
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

std::string parse_choice(const std::string& flag, const std::string& value, std::initializer_list<const char*> valid,
                         bool ignore_case) {
  auto same = [&](const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      const char x = ignore_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(a[i]))) : a[i];
      const char y = ignore_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(b[i]))) : b[i];
      if (x != y) return false;
    }
    return true;
  };
  std::string list;
  for (const char* v : valid) {
    if (same(value, v)) return v;
    list += (list.empty() ? "" : ", ") + std::string(v);
  }
  usage_error(flag + " '" + printable(value) + "' is not one of: " + list);
}

namespace {

std::vector<std::string> split_names(const char* names) {
  std::vector<std::string> out;
  std::string s = names;
  for (size_t start = 0;;) {
    const size_t bar = s.find('|', start);
    out.push_back(s.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) return out;
    start = bar + 1;
  }
}

// Edit distance, to name the option a typo meant.
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

Parser& Parser::option(const char* names, std::function<void(const char*)> handle) {
  specs_.push_back({split_names(names), std::move(handle), nullptr});
  return *this;
}

Parser& Parser::flag(const char* names, std::function<void()> handle) {
  specs_.push_back({split_names(names), nullptr, std::move(handle)});
  return *this;
}

Parser& Parser::positional(std::function<void(const char*)> handle) {
  positional_ = std::move(handle);
  return *this;
}

const Parser::Spec* Parser::find(const std::string& name) const {
  for (const Spec& s : specs_) {
    for (const std::string& n : s.names) {
      if (n == name) return &s;
    }
  }
  return nullptr;
}

void Parser::parse(int argc, char** argv) const {
  auto argument = [&](const char* arg) {
    if (!positional_) usage_error("unexpected argument '" + printable(arg) + "'");
    positional_(arg);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) argument(argv[i]);
      return;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      argument(argv[i]);
      continue;
    }
    const size_t eq = arg.rfind("--", 0) == 0 ? arg.find('=') : std::string::npos;
    const std::string name = arg.substr(0, eq);
    const Spec* spec = find(name);
    if (!spec && (name == "-h" || name == "--help")) {
      std::fputs(usage_, stdout);
      std::exit(0);
    }
    if (!spec && name == "--version") {
      std::printf("%s %s\n", g_program, bnn_version());
      std::exit(0);
    }
    if (!spec) {
      std::string closest;
      size_t best = 3;  // at most two edits away
      std::vector<std::string> known = {"--help", "--version"};
      for (const Spec& s : specs_) known.insert(known.end(), s.names.begin(), s.names.end());
      for (const std::string& n : known) {
        if (const size_t d = distance(name, n); d < best) best = d, closest = n;
      }
      usage_error("unknown option '" + printable(name) + "'" + (closest.empty() ? "" : " (did you mean " + closest + "?)"));
    }
    if (!spec->with_value) {
      if (eq != std::string::npos) usage_error(name + " takes no value");
      spec->without_value();
      continue;
    }
    if (eq != std::string::npos) {
      spec->with_value(argv[i] + eq + 1);
      continue;
    }
    if (i + 1 >= argc) usage_error(name + " needs a value");
    spec->with_value(argv[++i]);
  }
}

int parse_count(const std::string& flag, const char* text, int min, int max) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (!*text || *end || v < min || v > max) {
    usage_error(flag + " needs a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int>(v);
}

}  // namespace bnn::cli
