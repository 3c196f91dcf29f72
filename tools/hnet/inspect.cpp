#include <iostream>

#include "commands.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/safetensors.h"
#include "hnet/spec.h"

namespace hnet::cli {

void add_inspect_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "inspect",
      "List the tensors of a safetensors file (control characters in names and metadata escaped)");
  auto path = std::make_shared<std::string>();
  cmd->add_option("file", *path, "safetensors file")->required();
  cmd->callback([path] {
    const auto file = io::load_safetensors_header(*path);
    for (const auto& [key, value] : file.metadata) {
      std::cout << "# " << io::printable(key) << ": " << io::printable(value) << "\n";
    }
    for (const auto& t : file.tensors) {
      std::cout << io::printable(t.name) << "\t" << c10::toString(t.dtype) << "\t"
                << shape_str(t.shape) << "\n";
    }
  });
}

}  // namespace hnet::cli
