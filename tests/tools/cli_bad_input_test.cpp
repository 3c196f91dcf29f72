// Bad input to the hnet executable: every case exits with status 2, prints
// one line on stderr naming the file, key or flag at fault, and leaves the
// outputs it would have written untouched. One or two cases per reader and
// flag family: the readers' own tests try the many other bad inputs.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "hnet/io/safetensors.h"
#include "support/cli_process.h"
#include "support/test_support.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;

struct BadRun {
  std::vector<std::string> args;
  std::string message;  // a substring of the one line on stderr
};

class CliBadInputTest : public test::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    tiny_ = write("tiny.yaml", "tasks: 3\nthreads: 1\n");  // every error comes before the data
  }

  std::string write(const std::string& name, const std::string& bytes) {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }

  // Runs every case; `untouched` must not exist afterwards.
  void expect_all_rejected(const std::vector<BadRun>& runs, const std::string& untouched) {
    for (const auto& run : runs) {
      std::string joined;
      for (const auto& a : run.args) joined += " " + a;
      SCOPED_TRACE("hnet" + joined);
      const auto r = test::run_hnet(run.args, {}, dir_.string());
      EXPECT_EQ(r.status, 2) << r.err;
      EXPECT_EQ(test::line_count(r.err), 1) << r.err;
      EXPECT_THAT(r.err, ::testing::HasSubstr(run.message));
      EXPECT_FALSE(fs::exists(untouched));
      ++tried_;
    }
  }

  void TearDown() override {
    std::printf("[ bad input ] %d command lines rejected\n", tried_);
    ScratchDirTest::TearDown();
  }

  std::string tiny_;
  int tried_ = 0;
};

TEST_F(CliBadInputTest, TrainRejectsBadConfigsAndFlagsWithoutCreatingTheRunFolder) {
  const std::string out = path("out");
  auto train = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"train", tiny_, "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const std::string missing = path("missing.yaml");
  const std::string unknown = write("unknown.yaml", "tasks: 3\noptimzer: {lr: 0.1}\n");
  const std::string deep = write("deep.yaml", "target: {hidden: " + std::string(10000, '[') + "\n");
  const std::string nan = write("nan.yaml", "optimizer:\n  lr: .nan\n");
  fs::create_directories(path("bad-data"));
  const std::string bad_images =
      write("bad-data/train-images-idx3-ubyte.gz", std::string("\x1f\x8b\x08\x00", 4));
  write("bad-data/train-labels-idx1-ubyte.gz", "");

  expect_all_rejected(
      {
          {{"train"}, "train: a CONFIG file (or --resume DIR) is required"},
          {{"train", missing, "--out", out}, missing + ": cannot open"},
          {{"train", unknown, "--out", out}, unknown + ": unknown key 'optimzer'"},
          {{"train", deep, "--out", out}, deep + ": nesting deeper than 8 levels"},
          {{"train", nan, "--out", out}, "'optimizer.lr' must be a finite number, got '.nan'"},
          {train({"tasks=0"}), "override 'tasks=0': config key 'tasks' must be >= 1, got 0"},
          {train({"seed"}), "override 'seed' must look like key=value"},
          {train({"data.val_fraction=0.9"}), "'data.val_fraction' must be <= 0.5, got 0.9"},
          {train({"data.root=" + path("bad-data")}), "idx: " + bad_images + ": gzip stream is"},
          {train({"--resume", out}), "--resume takes the configuration from the run folder"},
          {train({"--bogus"}), "--bogus"},
          {train({"--seeds", "5-1"}), "--seeds '5-1': range '5-1' must go up"},
          {train({"--seeds", "1,1"}), "--seeds '1,1': a seed repeats"},
          {train({"--seeds", "1-2", "seed=4"}), "override 'seed=4' conflicts with --seeds 1-2"},
          {{"train", tiny_, "--seeds", "1-2"}, "--seeds needs --out DIR"},
          {{"sweep", tiny_, "seed=1,2"}, "--out"},
          {{"sweep", tiny_, "optimzer.lr=0.1,0.2", "--out", out}, "unknown key 'optimzer.lr'"},
          {{"sweep", tiny_, "optimizer.lr", "--out", out}, "must look like key=v1,v2"},
          {{"sweep", tiny_, "seed=1,2", "--out", out, "--max-points", "1"},
           "the grid has 2 points"},
          {{"train", "--resume", out, "--seeds", "1-2"},
           "give no CONFIG, overrides, --out or --seeds"},
          {{"train", "--resume", out}, "run folder " + out + ": no checkpoint.safetensors"},
      },
      out);
}

TEST_F(CliBadInputTest, TrainDoesNotOverwriteAnExistingRun) {
  fs::create_directories(path("run"));
  const std::string ckpt = write("run/checkpoint.safetensors", "precious bytes");
  expect_all_rejected(
      {{{"train", tiny_, "--out", path("run")}, "already holds a run"}}, path("run/summary.json"));
  EXPECT_EQ(test::slurp(ckpt), "precious bytes");
}

TEST_F(CliBadInputTest, ReadersOfCheckpointsAndTensorFilesRejectBadFiles) {
  const std::string out = path("generated.safetensors");
  const std::string garbage = write("garbage.safetensors", "garbage!");
  std::string deep_header = "{\"__metadata__\":" + std::string(100000, '[');
  deep_header += std::string(100000, ']') + "}";
  std::string length(8, '\0');
  for (int i = 0; i < 8; ++i) length[i] = static_cast<char>((deep_header.size() >> (8 * i)) & 0xFF);
  const std::string deep = write("deep.safetensors", length + deep_header);
  const std::string plain = path("plain.safetensors");
  io::save_safetensors(plain, {{"w", torch::ones({2})}});
  const std::string fifo = path("fifo.safetensors");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);

  expect_all_rejected(
      {
          {{"eval", garbage}, "safetensors: " + garbage + ": header length"},
          {{"eval", plain}, "checkpoint " + plain + ": metadata 'config' is missing"},
          {{"eval", fifo}, fifo + ": not a regular file"},
          {{"inspect", deep}, "header nests objects and lists deeper than 64 levels"},
          {{"generate", plain, "--task", "1", "--out", out}, "metadata 'config' is missing"},
          {{"generate", plain, "--task", "x", "--out", out}, "--task"},
      },
      out);
}

}  // namespace
}  // namespace hnet
