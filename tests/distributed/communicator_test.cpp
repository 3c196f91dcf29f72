// The Gloo communicator: two ranks as threads of this process on loopback
// sum and broadcast exactly, across several buckets; the rendezvous checks;
// a rank that never arrives makes the other fail within its timeout.

#include "hnet/distributed/communicator.h"

#include <chrono>
#include <future>
#include <thread>

#include "support/test_support.h"

namespace hnet::distributed {
namespace {

using ::testing::HasSubstr;

Rendezvous pair_rank(int64_t rank, int port, double timeout_s = 30) {
  Rendezvous r;
  r.world_size = 2;
  r.rank = rank;
  r.port = port;
  r.timeout_s = timeout_s;
  return r;
}

// What rank `rank` holds: distinct values per rank and tensor.
std::vector<torch::Tensor> rank_tensors(int64_t rank) {
  return {
      torch::arange(6, torch::kFloat).view({2, 3}) + 100 * rank,
      torch::full({5}, 1.0f + rank),
      torch::arange(4, torch::kFloat) * (rank + 1),
  };
}

TEST(Communicator, TwoRanksSumInSmallBucketsAndBroadcast) {
  const int port = free_loopback_port();
  auto work = [port](int64_t rank) {
    Communicator comm(pair_rank(rank, port));
    EXPECT_EQ(comm.rank(), rank);
    EXPECT_EQ(comm.world_size(), 2);
    auto t = rank_tensors(rank);
    comm.all_reduce_sum(t, 24);  // 24 bytes: one bucket per tensor, the first split off
    auto b = rank_tensors(rank);
    comm.broadcast(b, 1);
    return std::make_pair(t, b);
  };
  auto other = std::async(std::launch::async, work, 1);
  const auto [sum0, bcast0] = work(0);
  const auto [sum1, bcast1] = other.get();
  const auto a = rank_tensors(0), b = rank_tensors(1);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(sum0[i], a[i] + b[i])) << i;
    EXPECT_TRUE(torch::equal(sum1[i], a[i] + b[i])) << i;
    EXPECT_TRUE(torch::equal(bcast0[i], b[i])) << i;
    EXPECT_TRUE(torch::equal(bcast1[i], b[i])) << i;
  }
}

// `used` has gradients on both ranks, `one` on rank 1 only, `unused` on none.
TEST(Communicator, GradientsAreSummedAndMissingOnesCountAsZero) {
  const int port = free_loopback_port();
  auto work = [port](int64_t rank) {
    Communicator comm(pair_rank(rank, port));
    auto used = torch::ones({3}, torch::requires_grad());
    auto one = torch::ones({2}, torch::requires_grad());
    auto unused = torch::ones({2}, torch::requires_grad());
    auto loss = (used * static_cast<double>(rank + 1)).sum();
    if (rank == 1) loss = loss + one.sum() * 5;
    loss.backward();
    all_reduce_gradients(comm, {used, one, unused});
    return std::vector<torch::Tensor>{used.grad(), one.grad(), unused.grad()};
  };
  auto other = std::async(std::launch::async, work, 1);
  const auto g0 = work(0);
  const auto g1 = other.get();
  for (const auto& g : {g0, g1}) {
    EXPECT_TRUE(torch::equal(g[0], torch::full({3}, 3.0f)));  // 1 + 2
    EXPECT_TRUE(torch::equal(g[1], torch::full({2}, 5.0f)));  // 0 + 5
    EXPECT_FALSE(g[2].defined());
  }
}

TEST(Communicator, OneRankNeedsNoNetwork) {
  Communicator comm(Rendezvous{});
  auto t = torch::arange(3, torch::kFloat);
  comm.all_reduce_sum({t});
  comm.broadcast({t});
  EXPECT_TRUE(torch::equal(t, torch::arange(3, torch::kFloat)));
}

TEST(Communicator, ARankThatNeverArrivesFailsTheOtherWithinItsTimeout) {
  const auto start = std::chrono::steady_clock::now();
  const auto message =
      test::error_message([&] { Communicator comm(pair_rank(0, free_loopback_port(), 2.0)); });
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_THAT(message, HasSubstr("rank 0 of 2 could not join the group at 127.0.0.1:"));
  EXPECT_LT(waited, 30.0);  // bounded, not a hang (the bound is generous for a loaded machine)
}

TEST(Communicator, RendezvousIsChecked) {
  Rendezvous r;
  parse_master("10.0.0.5:1234", r);
  EXPECT_EQ(r.host, "10.0.0.5");
  EXPECT_EQ(r.port, 1234);
  for (const char* bad : {"10.0.0.5", ":80", "host:", "host:0", "host:65536", "host:8x"}) {
    EXPECT_THAT(
        test::error_message([&] { parse_master(bad, r); }),
        HasSubstr(std::string("expected HOST:PORT with a port in 1..65535, got '") + bad + "'"))
        << bad;
  }
  r = Rendezvous{};
  r.world_size = 2;
  r.rank = 2;
  EXPECT_THAT(
      test::error_message([&] { check_rendezvous(r); }),
      HasSubstr("--rank must be in 0..1 (world size 2), got 2"));
  r.rank = 0;
  r.world_size = 0;
  EXPECT_THAT(
      test::error_message([&] { check_rendezvous(r); }), HasSubstr("--world-size must be >= 1"));
}

}  // namespace
}  // namespace hnet::distributed
