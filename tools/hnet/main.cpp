// hnet command-line tool. Exit status: 0 success, 2 bad input or usage (one
// line on stderr), 1 any other failure.

#include <c10/util/Exception.h>

#include <iostream>
#include <string>

#include "commands.h"
#include "hnet/kernels/allocator.h"

namespace {

std::string first_line(const std::string& message) {
  return message.substr(0, message.find('\n'));
}

}  // namespace

int main(int argc, char** argv) try {
  hnet::kernels::tune_allocator();  // reuse freed buffers across training steps
  CLI::App app{"hnet: hypernetworks on LibTorch"};
  app.require_subcommand(1);
  hnet::cli::add_train_command(app);
  hnet::cli::add_eval_command(app);
  hnet::cli::add_generate_command(app);
  hnet::cli::add_demo_command(app);
  hnet::cli::add_inspect_command(app);
  hnet::cli::add_neumeta_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "hnet: " << first_line(e.what()) << " (see hnet --help)\n";
    return 2;
  }
  return 0;
} catch (const c10::Error& e) {
  std::cerr << "hnet: " << first_line(e.what_without_backtrace()) << "\n";
  return 2;
} catch (const std::invalid_argument& e) {
  std::cerr << "hnet: " << first_line(e.what()) << "\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << "hnet: error: " << first_line(e.what()) << "\n";
  return 1;
}
