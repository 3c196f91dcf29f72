// The path checks behind run folders and outputs: existence without
// std::filesystem's exceptions, same-file detection through links, opening
// run files without following links, and quoting names safely.

#include "hnet/io/file_safety.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/cli_process.h"
#include "support/test_support.h"

namespace hnet::io {
namespace {

namespace fs = std::filesystem;

class FileSafetyTest : public test::ScratchDirTest {
 protected:
  std::string touch(const std::string& name, const std::string& text = "old") {
    std::ofstream(path(name)) << text;
    return path(name);
  }
};

TEST_F(FileSafetyTest, PathExistsReportsErrorsAsBadInput) {
  EXPECT_TRUE(path_exists(touch("f")));
  EXPECT_FALSE(path_exists(path("missing")));
  EXPECT_FALSE(path_exists(path("f/below")));  // ENOTDIR: nothing there
  fs::create_symlink(path("nowhere"), path("dangling"));
  EXPECT_TRUE(path_exists(path("dangling")));  // the link itself is there
  fs::create_symlink(path("loop"), path("loop"));
  EXPECT_THROW_WITH(path_exists(path("loop/x")), "Too many levels of symbolic links");
  EXPECT_THROW(path_exists(path("loop/x")), c10::ValueError);
  EXPECT_THROW_WITH(path_exists(path(std::string(300, 'n'))), "File name too long");
}

TEST_F(FileSafetyTest, SameFileSeesThroughLinks) {
  touch("a");
  touch("b");
  fs::create_symlink(path("a"), path("link"));
  EXPECT_TRUE(same_file(path("a"), path("link")));
  EXPECT_TRUE(same_file(path("a"), dir_.string() + "/./a"));
  EXPECT_FALSE(same_file(path("a"), path("b")));
  EXPECT_FALSE(same_file(path("a"), path("missing")));
  EXPECT_NO_THROW(check_output_is_not_input(path("b"), {path("a")}));
  EXPECT_THROW_WITH(
      check_output_is_not_input(path("link"), {path("b"), path("a")}), "is the input");
}

TEST_F(FileSafetyTest, RunFilesOpenOnlyAsOwnRegularFiles) {
  const std::string victim = touch("victim", "keep");
  fs::create_symlink(victim, path("link"));
  fs::create_directories(path("folder"));
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  for (auto mode : {OpenMode::kAppend, OpenMode::kTruncate, OpenMode::kExisting}) {
    EXPECT_THROW_WITH(open_run_file(path("link"), mode), "is a symbolic link");
    EXPECT_THROW_WITH(open_run_file(path("folder"), mode), "is a folder");
    EXPECT_THROW_WITH(open_run_file(path("fifo"), mode), "is a FIFO");
    EXPECT_THROW(open_run_file(path("link"), mode), c10::ValueError);
  }
  EXPECT_EQ(test::slurp(victim), "keep");
  EXPECT_THROW_WITH(open_run_file(path("missing"), OpenMode::kExisting), "cannot open it");

  // A hard link to someone's file passes as a regular file of the same
  // user: the link count tells it apart.
  fs::create_hard_link(victim, path("hard"));
  EXPECT_THROW_WITH(open_run_file(path("hard"), OpenMode::kTruncate), "another hard link");
  EXPECT_THROW_WITH(check_run_file(path("hard")), "another hard link");
  EXPECT_THROW_WITH(check_run_file(path("link")), "is a symbolic link");
  EXPECT_NO_THROW(check_run_file(path("missing")));
  EXPECT_EQ(test::slurp(victim), "keep");

  // Another user's file is refused before it is truncated (needs root to
  // give a file away).
  const std::string theirs = touch("theirs", "theirs");
  if (::geteuid() == 0 && ::chown(theirs.c_str(), 4321, 4321) == 0) {
    EXPECT_THROW_WITH(open_run_file(theirs, OpenMode::kTruncate), "is a file of another user");
    EXPECT_EQ(test::slurp(theirs), "theirs");
  }

  const int fd = open_run_file(touch("own", "old contents"), OpenMode::kTruncate);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "new", 3), 3);
  ::close(fd);
  EXPECT_EQ(test::slurp(path("own")), "new");
  const int again = open_run_file(path("own"), OpenMode::kAppend);
  ASSERT_EQ(::write(again, "er", 2), 2);
  ::close(again);
  EXPECT_EQ(test::slurp(path("own")), "newer");
}

TEST(TextForMessages, ClipsAndEscapes) {
  EXPECT_EQ(clipped("short"), "short");
  EXPECT_EQ(clipped(std::string(500, 'a'), 4), "aaaa... (500 bytes)");
  EXPECT_EQ(printable("plain é text"), "plain é text");
  EXPECT_EQ(printable("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(printable("l1\nl2\r\t\\"), "l1\\nl2\\r\\t\\\\");
  EXPECT_EQ(printable(std::string("\x7f\0", 2)), "\\x7f\\x00");
  EXPECT_EQ(
      printable("\xc2\x9b"
                "1m"),
      "\\u009b1m");                              // C1 CSI
  EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");  // U+00A0 stays
  EXPECT_EQ(
      printable("a\x9b"
                "2Jb"),
      "a\\x9b2Jb");                                     // a lone C1 byte, not UTF-8
  EXPECT_EQ(printable("x\xe2\x80\xaey"), "x\\u202ey");  // right-to-left override
}

}  // namespace
}  // namespace hnet::io
