#include "hnet/io/plot.h"

#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "hnet/io/atomic_file.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using hnet::io::gnuplot_available;
using hnet::io::plot_accuracy_matrix;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

const double kNan = std::nan("");

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class PlotTest : public ::hnet::test::ScratchDirTest {
 protected:
  // A PATH on which a stand-in `gnuplot`, a shell script with the given body,
  // comes first.
  std::string fake_gnuplot(const std::string& body) const {
    fs::path bin = dir_ / "bin";
    fs::create_directories(bin);
    std::ofstream(bin / "gnuplot") << "#!/bin/sh\n" << body << "\n";
    fs::permissions(bin / "gnuplot", fs::perms::owner_all);
    const char* path = std::getenv("PATH");
    return bin.string() + ":" + (path ? path : "/usr/bin:/bin");
  }
};

uint32_t big_endian32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

// The 8-byte signature, then the IHDR chunk: length 13, type, width, height.
void expect_png(const std::string& bytes) {
  ASSERT_GE(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(big_endian32(bytes, 8), 13u);
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_GT(big_endian32(bytes, 16), 0u);
  EXPECT_GT(big_endian32(bytes, 20), 0u);
}

std::vector<std::vector<double>> lower_triangular(size_t n) {
  std::vector<std::vector<double>> acc(n, std::vector<double>(n, kNan));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j <= i; ++j) acc[i][j] = 1.0 - 0.13 * static_cast<double>(i - j) - 0.001 * j;
  }
  return acc;
}

#define SKIP_WITHOUT_GNUPLOT()                                            \
  do {                                                                    \
    if (!gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed"; \
  } while (0)

TEST_F(PlotTest, LowerTriangularMatrixMakesAPngAndLeavesNoTemporaries) {
  SKIP_WITHOUT_GNUPLOT();
  fs::create_directories(dir_ / "tmp");
  {
    ScopedEnv tmpdir("TMPDIR", path("tmp"));  // where the script file goes
    plot_accuracy_matrix(path("acc.png"), lower_triangular(5), "Split MNIST, 5 tasks");
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
  fs::remove(dir_ / "tmp");
  EXPECT_EQ(listing(), std::vector<std::string>{"acc.png"});
  std::string bytes = hnet::io::read_file(path("acc.png"), 10 << 20);
  expect_png(bytes);
  // Five 56-pixel cells plus the margins.
  EXPECT_EQ(big_endian32(bytes, 16), 56u * 5 + 220);
  EXPECT_EQ(big_endian32(bytes, 20), 56u * 5 + 150);
}

TEST_F(PlotTest, HostileTitleAndPathAreTakenLiterally) {
  SKIP_WITHOUT_GNUPLOT();
  // Backquotes run shell commands in gnuplot's double-quoted strings and a
  // quote would end a single-quoted one; none of this may be interpreted.
  const std::string marker = path("pwned");
  const std::string title = "it's \"`touch " + marker + "`\" @x {y}^2 \\n\nline two";
  const std::string target = path("a 'b' \"c\" `d` $e.png");
  plot_accuracy_matrix(target, {{0.5, kNan}, {0.25, 1.0}}, title);
  expect_png(hnet::io::read_file(target, 10 << 20));
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_EQ(listing(), std::vector<std::string>{"a 'b' \"c\" `d` $e.png"});
}

TEST_F(PlotTest, AllUnknownAndRectangularMatricesArePlotted) {
  SKIP_WITHOUT_GNUPLOT();
  plot_accuracy_matrix(path("nan.png"), {{kNan}}, "");
  plot_accuracy_matrix(path("wide.png"), {{0.9, 0.1, 0.0}}, "one row");
  expect_png(hnet::io::read_file(path("nan.png"), 10 << 20));
  expect_png(hnet::io::read_file(path("wide.png"), 10 << 20));
}

TEST_F(PlotTest, RejectsEmptyAndRaggedMatricesNamingTheShape) {
  EXPECT_THAT(
      [&] {
        plot_accuracy_matrix(path("x.png"), {{1.0, 0.5, 0.2}, {0.5, 1.0}, {1, 1, 1}}, "t");
      },
      ThrowsMessage<c10::Error>(HasSubstr(
          "plot_accuracy_matrix: acc must be rectangular, got rows of lengths [3, 2, 3]")));
  EXPECT_THAT(
      [&] { plot_accuracy_matrix(path("x.png"), {}, "t"); },
      ThrowsMessage<c10::Error>(
          HasSubstr("acc must have at least one row and one column, got shape [0, 0]")));
  EXPECT_THAT(
      [&] {
        plot_accuracy_matrix(path("x.png"), {{}, {}}, "t");
      },
      ThrowsMessage<c10::Error>(HasSubstr("got shape [2, 0]")));
  EXPECT_TRUE(listing().empty());
}

TEST_F(PlotTest, RejectsValuesOutsideTheUnitIntervalNamingTheEntry) {
  EXPECT_THAT(
      [&] {
        plot_accuracy_matrix(path("x.png"), {{1.0, kNan}, {0.5, 98.7}}, "t");
      },
      ThrowsMessage<c10::Error>(
          HasSubstr("plot_accuracy_matrix: acc[1][1] must be in [0, 1] or NaN, got 98.7")));
  EXPECT_THAT(
      [&] { plot_accuracy_matrix(path("x.png"), {{-INFINITY}}, "t"); },
      ThrowsMessage<c10::Error>(HasSubstr("acc[0][0] must be in [0, 1] or NaN, got -inf")));
  EXPECT_TRUE(listing().empty());
}

TEST_F(PlotTest, MissingFolderIsNamedAndNothingIsCreated) {
  const std::string folder = path("no/such");
  EXPECT_THAT(
      [&] { plot_accuracy_matrix(folder + "/acc.png", {{1.0}}, "t"); },
      ThrowsMessage<c10::Error>(HasSubstr(
          "plot_accuracy_matrix: folder " + folder + " of png_path " + folder +
          "/acc.png cannot be used: No such file or directory")));
  EXPECT_THAT(
      [&] { plot_accuracy_matrix(dir_.string(), {{1.0}}, "t"); },
      ThrowsMessage<c10::Error>(HasSubstr("png_path " + dir_.string() + " is a folder")));
  EXPECT_THAT(
      [&] { plot_accuracy_matrix("", {{1.0}}, "t"); },
      ThrowsMessage<c10::Error>(HasSubstr("png_path must not be empty")));
  EXPECT_TRUE(listing().empty());
}

TEST_F(PlotTest, MissingGnuplotIsNamed) {
  ScopedEnv path_env("PATH", path("empty_bin"));
  EXPECT_FALSE(gnuplot_available());
  EXPECT_THAT(
      [&] { plot_accuracy_matrix(path("acc.png"), {{1.0}}, "t"); },
      ThrowsMessage<c10::Error>(HasSubstr(
          "plot_accuracy_matrix: cannot run gnuplot --default-settings (script on standard "
          "input): No such file or directory")));
  EXPECT_TRUE(listing().empty());
}

TEST_F(PlotTest, FailingGnuplotIsNamedWithItsErrorAndTheOldFileSurvives) {
  hnet::io::write_file_atomic(path("acc.png"), "old");
  ScopedEnv path_env(
      "PATH",
      fake_gnuplot("cat > /dev/null\n"
                   "echo >&2\necho 'gnuplot> plot $acc' >&2\necho '         ^' >&2\n"
                   "echo '         line 42: no pngcairo today' >&2\necho 'more' >&2\nexit 3"));
  EXPECT_FALSE(gnuplot_available());  // `gnuplot --version` fails too
  EXPECT_THAT(
      [&] { plot_accuracy_matrix(path("acc.png"), {{1.0}}, "t"); },
      ThrowsMessage<c10::Error>(HasSubstr(
          "plot_accuracy_matrix: gnuplot --default-settings (script on standard input) failed "
          "with exit status 3: line 42: no pngcairo today")));
  EXPECT_EQ(hnet::io::read_file(path("acc.png"), 100), "old");
  EXPECT_EQ(listing(), (std::vector<std::string>{"acc.png", "bin"}));
}

TEST_F(PlotTest, GnuplotWithoutPngOutputIsAnError) {
  ScopedEnv path_env(
      "PATH", fake_gnuplot("cat > /dev/null\necho 'not a png'\necho 'warning: odd' >&2"));
  EXPECT_THAT(
      [&] { plot_accuracy_matrix(path("acc.png"), {{1.0}}, "t"); },
      ThrowsMessage<c10::Error>(HasSubstr(
          "exited with status 0 but wrote no PNG (10 bytes on standard output): warning: odd")));
  EXPECT_EQ(listing(), std::vector<std::string>{"bin"});
}

}  // namespace
