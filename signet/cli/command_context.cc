#include "signet/cli/command_context.h"

#include <chrono>
#include <iostream>
#include <istream>
#include <ostream>

#include "signet/cli/terminal_input.h"
#include "signet/common/ascii.h"

namespace signet::cli {

namespace {

// bytes; "yes" and a few stray spaces. A longer answer is not a yes.
constexpr std::size_t kMaxAnswerBytes = 16;

store::Timestamp system_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

CommandContext::CommandContext(std::ostream& out, std::ostream& err, std::istream& in,
                               bool in_is_terminal, Clock clock, TenantLocation location)
    : out_(out),
      err_(err),
      in_(in),
      in_is_terminal_(in_is_terminal),
      clock_(std::move(clock)),
      location_(std::move(location)) {}

CommandContext::CommandContext(ProcessStreams)
    : CommandContext(std::cout, std::cerr, std::cin, stdin_is_terminal(), system_now, {}) {
  controls_echo_ = true;
}

CommandContext CommandContext::for_process() {
  return CommandContext(ProcessStreams{});
}

CommandContext::~CommandContext() = default;

std::optional<std::string> CommandContext::read_line(std::size_t max) {
  return cli::read_line(in_, max);
}

std::optional<std::string> CommandContext::read_secret(std::string_view prompt, std::size_t max) {
  if (!in_is_terminal_) {
    return read_line(max);
  }
  std::optional<EchoOff> quiet;
  if (controls_echo_) {
    quiet.emplace();  // before the prompt, so nothing typed after it is echoed
  }
  err_ << prompt << std::flush;
  return read_line(max);
}

void CommandContext::set_location(TenantLocation location) {
  location_ = std::move(location);
  tenant_.reset();
}

Tenant& CommandContext::tenant(Access access) {
  if (!tenant_) {
    tenant_ = std::make_unique<Tenant>(access == Access::kWrite
                                           ? open_tenant(location_.data_dir)
                                           : open_existing_tenant(location_.data_dir));
  }
  return *tenant_;
}

void confirm_deletion(CommandContext& ctx, bool yes, const std::string& question) {
  if (yes) {
    return;
  }
  if (!ctx.in_is_terminal()) {
    throw CommandError{"refusing to delete without confirmation: add --yes"};
  }
  ctx.err() << question << " [y/N] " << std::flush;
  const auto answer = ctx.read_line(kMaxAnswerBytes);
  if (!answer || !(iequals(*answer, "y") || iequals(*answer, "yes"))) {
    throw CommandError{"nothing was deleted (answer y to delete, or add --yes)"};
  }
}

int run_in_context(CommandContext& ctx, const std::function<void(CommandContext&)>& command) {
  try {
    command(ctx);
    return 0;
  } catch (const CommandError& e) {
    ctx.err() << "signet: " << e.message << "\n";
    return 1;
  }
}

}  // namespace signet::cli
