// hnet command-line tool; see cli.h for the exit status.

#include "cli.h"

int main(int argc, char** argv) {
  return hnet::cli::run(argc, argv);
}
