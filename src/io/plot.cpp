#include "hnet/io/plot.h"

#include <c10/util/Exception.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <locale>
#include <sstream>
#include <utility>

#include "gnuplot.h"
#include "hnet/io/atomic_file.h"

extern char** environ;

namespace hnet::io {
namespace {

const std::vector<std::string> kGnuplotCommand = {"gnuplot", "--default-settings"};
// gnuplot draws even large matrices in well under a second; the limit only
// keeps a wedged process from hanging training forever.
constexpr auto kTimeout = std::chrono::seconds(120);
constexpr size_t kMaxStderrBytes = 1 << 16;
const std::string kPngSignature("\x89PNG\r\n\x1a\n", 8);

std::string errno_str(int err) {
  return std::strerror(err);
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Owns a POSIX file descriptor.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    reset();
  }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() {
    posix_spawn_file_actions_init(&actions);
  }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  ~SpawnActions() {
    posix_spawn_file_actions_destroy(&actions);
  }
};

struct ProcessResult {
  int spawn_error = 0;  // errno-style code when the program could not start
  bool timed_out = false;
  int status = 0;  // as from waitpid
  std::string out;
  std::string err;
};

// Runs `args` (the program looked up on PATH, no shell) with standard input
// read from `stdin_fd`, collecting standard output and standard error.
ProcessResult run_process(const std::vector<std::string>& args, int stdin_fd) {
  const std::string command = join(args);
  int out_pipe[2], err_pipe[2];
  TORCH_CHECK(
      ::pipe2(out_pipe, O_CLOEXEC) == 0, "cannot create a pipe to run ", command, ": ",
      errno_str(errno));
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  TORCH_CHECK(
      ::pipe2(err_pipe, O_CLOEXEC) == 0, "cannot create a pipe to run ", command, ": ",
      errno_str(errno));
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  // dup2 onto 0, 1 and 2 clears close-on-exec there; every other descriptor
  // of ours is close-on-exec, so the child inherits nothing else.
  SpawnActions spawn;
  posix_spawn_file_actions_adddup2(&spawn.actions, stdin_fd, 0);
  posix_spawn_file_actions_adddup2(&spawn.actions, out_write.fd, 1);
  posix_spawn_file_actions_adddup2(&spawn.actions, err_write.fd, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  ProcessResult result;
  pid_t pid = -1;
  result.spawn_error = ::posix_spawnp(&pid, argv[0], &spawn.actions, nullptr, argv.data(), environ);
  if (result.spawn_error != 0) return result;
  out_write.reset();
  err_write.reset();

  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (out_read.fd >= 0 || err_read.fd >= 0) {
    pollfd fds[2] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    TORCH_CHECK(ready >= 0, "cannot wait for ", command, ": ", errno_str(errno));
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char chunk[1 << 16];
      ssize_t n = ::read(fds[i].fd, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        (i == 0 ? out_read : err_read).reset();
      } else if (i == 0) {
        result.out.append(chunk, static_cast<size_t>(n));
      } else if (result.err.size() < kMaxStderrBytes) {
        result.err.append(chunk, static_cast<size_t>(n));
      }
    }
  }
  while (::waitpid(pid, &result.status, 0) < 0) {
    TORCH_CHECK(errno == EINTR, "cannot wait for ", command, ": ", errno_str(errno));
  }
  return result;
}

// gnuplot echoes the failing script line ("gnuplot> ...") and a caret before
// its message ("line 12: invalid command"); the message is what helps.
std::string first_meaningful_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    line = line.substr(begin, line.find_last_not_of(" \t\r") + 1 - begin);
    if (line.rfind("gnuplot>", 0) == 0 || line == "^") continue;
    return line;
  }
  return "(no error output)";
}

// A gnuplot single-quoted string: no escapes or backquote substitution apply
// inside it; a quote is written twice; a newline would end the command.
std::string quote_for_gnuplot(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "''";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string describe_shape(const std::vector<std::vector<double>>& acc) {
  const size_t cols = acc.empty() ? 0 : acc[0].size();
  bool ragged = false;
  for (const auto& row : acc) ragged = ragged || row.size() != cols;
  std::ostringstream s;
  if (!ragged) {
    s << "shape [" << acc.size() << ", " << cols << "]";
  } else {
    s << "rows of lengths [";
    for (size_t i = 0; i < acc.size(); ++i) s << (i ? ", " : "") << acc[i].size();
    s << "]";
  }
  return s.str();
}

std::string make_script(const std::vector<std::vector<double>>& acc, const std::string& title) {
  const size_t rows = acc.size(), cols = acc[0].size();
  const auto side = [](size_t cells, int margin) {
    return std::min<int64_t>(
        4096, std::max<int64_t>(360, 56 * static_cast<int64_t>(cells) + margin));
  };
  const auto tic_step = [](size_t cells) { return cells <= 30 ? 1 : (cells + 19) / 20; };
  std::ostringstream s;
  s.imbue(std::locale::classic());  // decimal points, whatever the global locale
  s << "set encoding utf8\n"
    << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
    << "  set terminal pngcairo noenhanced size " << side(cols, 220) << "," << side(rows, 150)
    << " font 'sans,10'\n"
    << "} else {\n"
    << "  set terminal png noenhanced size " << side(cols, 220) << "," << side(rows, 150) << "\n"
    << "}\n"
    << "set title " << quote_for_gnuplot(title) << "\n"
    << "set xlabel 'evaluated on task'\n"
    << "set ylabel 'after learning task'\n"
    << "set cblabel 'accuracy'\n"
    << "set cbrange [0:1]\n"
    << "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21908d', 0.75 '#5dc963', "
       "1 '#fde725')\n"
    << "set xrange [0.5:" << cols
    << ".5]\n"
    // Reversed, so that task 1 is at the top as in a printed matrix.
    << "set yrange [" << rows << ".5:0.5]\n"
    << "set xtics " << tic_step(cols) << " scale 0\n"
    << "set ytics " << tic_step(rows) << " scale 0\n"
    << "set size ratio -1\n"
    << "unset key\n"
    << "set object 1 rectangle from graph 0,0 to graph 1,1 behind "
       "fillcolor rgb '#d9d9d9' fillstyle solid noborder\n"
    << "set style fill solid 1.0 border lc rgb 'white'\n"
    // x = column (evaluated on), y = row (after learning), value. NaN cells
    // are simply left out, so the grey background shows through.
    << "$acc << EOD\n";
  s.precision(17);
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      if (!std::isnan(acc[i][j])) s << j + 1 << " " << i + 1 << " " << acc[i][j] << "\n";
    }
  }
  s << "EOD\n"
    << "plot $acc using 1:2:(0.5):(0.5):3 with boxxyerror fillcolor palette, \\\n"
    << "     $acc using 1:2:(sprintf('%.3f', $3)):($3 < 0.5 ? 0xffffff : 0x000000) "
       "with labels textcolor rgb variable\n";
  return s.str();
}

std::string folder_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The script goes through a temporary file that is unlinked at once: the
// child reads it as its standard input, and nothing is left behind even if we
// crash. (A pipe would need SIGPIPE handling should gnuplot exit early.)
Fd script_file(const std::string& script, const char* who) {
  const char* tmp = std::getenv("TMPDIR");
  std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/hnet_plot_XXXXXX";
  Fd file(::mkostemp(name.data(), O_CLOEXEC));
  TORCH_CHECK(
      file.fd >= 0, who, ": cannot create a temporary script file ", name, ": ", errno_str(errno));
  ::unlink(name.c_str());
  const char* data = script.data();
  size_t left = script.size();
  while (left > 0) {
    ssize_t n = ::write(file.fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    TORCH_CHECK(
        n > 0, who, ": cannot write the temporary script file ", name, ": ",
        errno_str(n < 0 ? errno : EIO));
    data += n;
    left -= static_cast<size_t>(n);
  }
  TORCH_CHECK(
      ::lseek(file.fd, 0, SEEK_SET) == 0, who, ": cannot rewind ", name, ": ", errno_str(errno));
  return file;
}

void check_arguments(const std::string& png_path, const std::vector<std::vector<double>>& acc) {
  TORCH_CHECK(!png_path.empty(), "plot_accuracy_matrix: png_path must not be empty");
  TORCH_CHECK(
      !acc.empty() && !acc[0].empty(),
      "plot_accuracy_matrix: acc must have at least one row and one column, got ",
      describe_shape(acc));
  for (const auto& row : acc) {
    TORCH_CHECK(
        row.size() == acc[0].size(), "plot_accuracy_matrix: acc must be rectangular, got ",
        describe_shape(acc));
  }
  for (size_t i = 0; i < acc.size(); ++i) {
    for (size_t j = 0; j < acc[i].size(); ++j) {
      const double v = acc[i][j];
      TORCH_CHECK(
          std::isnan(v) || (v >= 0 && v <= 1), "plot_accuracy_matrix: acc[", i, "][", j,
          "] must be in [0, 1] or NaN, got ", v);
    }
  }
  detail::check_png_path(png_path, "plot_accuracy_matrix");
}

}  // namespace

void plot_accuracy_matrix(
    const std::string& png_path, const std::vector<std::vector<double>>& acc,
    const std::string& title) {
  check_arguments(png_path, acc);
  detail::render_png(png_path, make_script(acc, title), "plot_accuracy_matrix");
}

namespace detail {

void check_png_path(const std::string& png_path, const char* who) {
  TORCH_CHECK(!png_path.empty(), who, ": png_path must not be empty");
  const std::string folder = folder_of(png_path);
  struct stat info {};
  TORCH_CHECK(
      ::stat(folder.c_str(), &info) == 0, who, ": folder ", folder, " of png_path ", png_path,
      " cannot be used: ", errno_str(errno));
  TORCH_CHECK(
      S_ISDIR(info.st_mode), who, ": ", folder, " (folder of png_path ", png_path,
      ") is not a folder");
  TORCH_CHECK(
      ::stat(png_path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode), who, ": png_path ", png_path,
      " is a folder");
}

void render_png(const std::string& png_path, const std::string& script, const char* who) {
  Fd file = script_file(script, who);
  const std::string command = join(kGnuplotCommand) + " (script on standard input)";
  ProcessResult run = run_process(kGnuplotCommand, file.fd);
  TORCH_CHECK(
      run.spawn_error == 0, who, ": cannot run ", command, ": ", errno_str(run.spawn_error),
      " (is gnuplot installed and on PATH?)");
  TORCH_CHECK(
      !run.timed_out, who, ": ", command, " did not finish within ", kTimeout.count(),
      " s and was killed");
  TORCH_CHECK(
      !WIFSIGNALED(run.status), who, ": ", command, " was killed by signal ", WTERMSIG(run.status),
      ": ", first_meaningful_line(run.err));
  TORCH_CHECK(
      WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0, who, ": ", command,
      " failed with exit status ", WEXITSTATUS(run.status), ": ", first_meaningful_line(run.err));
  TORCH_CHECK(
      run.out.compare(0, kPngSignature.size(), kPngSignature) == 0, who, ": ", command,
      " exited with status 0 but wrote no PNG (", run.out.size(),
      " bytes on standard output): ", first_meaningful_line(run.err));
  write_file_atomic(png_path, run.out);
}

std::string quote(const std::string& text) {
  return quote_for_gnuplot(text);
}

}  // namespace detail

bool gnuplot_available() {
  Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null.fd < 0) return false;
  try {
    ProcessResult run = run_process({"gnuplot", "--version"}, null.fd);
    return run.spawn_error == 0 && !run.timed_out && WIFEXITED(run.status) &&
           WEXITSTATUS(run.status) == 0;
  } catch (const c10::Error&) {
    return false;
  }
}

}  // namespace hnet::io
