#include "cli.h"

#include <c10/util/Exception.h>

#include <iostream>
#include <string>

#include "commands.h"
#include "hnet/errors.h"
#include "hnet/io/file_safety.h"
#include "hnet/kernels/allocator.h"

namespace hnet::cli {
namespace {

// One line of at most a few hundred characters, whatever a file put in the
// message: control characters (newlines included) escaped, then cut.
std::string one_line(const std::string& message) {
  std::string text = message;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return io::clipped(io::printable(text), 600);
}

std::string message_of(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) {
    return one_line(c10_error->what_without_backtrace());
  }
  return one_line(e.what());
}

}  // namespace

int run(int argc, char** argv, std::shared_ptr<StepHooks> hooks) {
  try {
    kernels::tune_allocator();  // reuse freed buffers across training steps
    CLI::App app{"hnet: hypernetworks on LibTorch"};
    app.require_subcommand(1);
    add_train_command(app, hooks);
    add_eval_command(app);
    add_generate_command(app);
    add_demo_command(app, hooks);
    add_inspect_command(app);
    add_neumeta_command(app);
    add_sweep_command(app);
    add_ghn_command(app);
    add_multitask_command(app);
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      // CLI11's own text: its first line says what is wrong.
      const std::string what = e.what();
      std::cerr << "hnet: " << one_line(what.substr(0, what.find('\n'))) << " (see hnet --help)\n";
      return 2;
    }
    return 0;
  } catch (const std::exception& e) {
    if (is_input_error(e)) {
      std::cerr << "hnet: " << message_of(e) << "\n";
      return 2;
    }
    std::cerr << "hnet: error: " << message_of(e) << "\n";
    return 1;
  }
}

}  // namespace hnet::cli
