#include "hnet/io/atomic_file.h"

#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using hnet::io::read_file;
using hnet::io::write_file_atomic;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

class AtomicFileTest : public ::hnet::test::ScratchDirTest {
 protected:
};

TEST_F(AtomicFileTest, WritesAndReadsBackExactBytes) {
  const std::string bytes("a\0b\xff\n", 5);
  write_file_atomic(path("f.bin"), bytes);
  EXPECT_EQ(read_file(path("f.bin"), 5), bytes);
  write_file_atomic(path("empty"), "");
  EXPECT_EQ(read_file(path("empty"), 0), "");
  const std::string big(200000, 'x');  // several read chunks
  write_file_atomic(path("big"), big);
  EXPECT_EQ(read_file(path("big"), big.size()), big);
}

TEST_F(AtomicFileTest, OverwritesAndLeavesNoTemporary) {
  write_file_atomic(path("f"), "first version, longer");
  write_file_atomic(path("f"), "second");
  EXPECT_EQ(read_file(path("f"), 100), "second");
  EXPECT_EQ(listing(), std::vector<std::string>{"f"});
}

TEST_F(AtomicFileTest, MissingFolderNamesThePathAndTheReason) {
  std::string target = path("no/such/folder/f");
  EXPECT_THAT(
      [&] { write_file_atomic(target, "x"); },
      ThrowsMessage<c10::Error>(AllOf(
          HasSubstr(
              "write_file_atomic: " + target + ": cannot create temporary file " + target +
              ".tmp." + std::to_string(::getpid())),
          HasSubstr(": No such file or directory"))));
  EXPECT_TRUE(listing().empty());
  EXPECT_THAT(
      [&] { write_file_atomic("", "x"); },
      ThrowsMessage<c10::Error>(HasSubstr("write_file_atomic: path must not be empty")));
}

TEST_F(AtomicFileTest, FailedRenameRemovesTheTemporary) {
  // A non-empty folder cannot be replaced by a file.
  fs::create_directories(path("target"));
  std::ofstream(path("target/keep")) << "kept";
  EXPECT_THAT(
      [&] { write_file_atomic(path("target"), "x"); },
      ThrowsMessage<c10::Error>(AllOf(
          HasSubstr("write_file_atomic: " + path("target") + ": cannot rename "),
          HasSubstr(" over it: Is a directory"))));
  EXPECT_EQ(listing(), std::vector<std::string>{"target"});
  EXPECT_EQ(read_file(path("target/keep"), 100), "kept");
}

TEST_F(AtomicFileTest, FailedWriteKeepsTheOldFileAndRemovesTheTemporary) {
  write_file_atomic(path("f"), "old contents");
  // Lower this process's file-size limit so the write fails part-way with
  // EFBIG.
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto saved_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit low = saved;
  low.rlim_cur = 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &low), 0);
  std::string message;
  try {
    write_file_atomic(path("f"), std::string(4096, 'n'));
  } catch (const c10::Error& e) {
    message = e.what_without_backtrace();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, saved_handler);

  EXPECT_THAT(message, HasSubstr("write_file_atomic: " + path("f") + ": cannot write 4096 bytes"));
  EXPECT_THAT(message, HasSubstr("File too large"));
  EXPECT_EQ(read_file(path("f"), 100), "old contents");
  EXPECT_EQ(listing(), std::vector<std::string>{"f"});
}

TEST_F(AtomicFileTest, ReadFileErrorsNameThePath) {
  EXPECT_THAT(
      [&] { read_file(path("missing"), 10); },
      ThrowsMessage<c10::Error>(
          HasSubstr("read_file: " + path("missing") + ": cannot open: No such file or directory")));
  EXPECT_THAT(
      [&] { read_file(dir_.string(), 10); },
      ThrowsMessage<c10::Error>(HasSubstr("read_file: " + dir_.string() + ": not a regular file")));
  write_file_atomic(path("ten"), "0123456789");
  EXPECT_EQ(read_file(path("ten"), 10), "0123456789");
  EXPECT_THAT(
      [&] { read_file(path("ten"), 9); },
      ThrowsMessage<c10::Error>(HasSubstr(
          "read_file: " + path("ten") + ": file is 10 bytes, more than the limit of 9 bytes")));
}

}  // namespace
