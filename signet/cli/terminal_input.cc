#include "signet/cli/terminal_input.h"

#include <unistd.h>

#include <iostream>
#include <istream>

namespace signet::cli {

EchoOff::EchoOff() {
  termios saved{};
  if (::tcgetattr(STDIN_FILENO, &saved) != 0) {
    return;
  }
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  if (::tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0) {
    saved_ = saved;
  }
}

EchoOff::~EchoOff() {
  if (saved_) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &*saved_);
    std::cerr << "\n";  // the newline the user typed was not echoed
  }
}

bool stdin_is_terminal() {
  return ::isatty(STDIN_FILENO) == 1;
}

std::optional<std::string> read_line(std::size_t max) {
  return read_line(std::cin, max);
}

std::optional<std::string> read_line(std::istream& in, std::size_t max) {
  std::string line;
  std::istream::int_type c = 0;
  while ((c = in.get()) != std::istream::traits_type::eof()) {
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      return line;
    }
    line.push_back(static_cast<char>(c));
    if (line.size() > max) {
      return line;
    }
  }
  if (line.empty()) {
    return std::nullopt;
  }
  return line;
}

}  // namespace signet::cli
