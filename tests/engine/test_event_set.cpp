#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hepcat/buffer.hpp"
#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/event_set.hpp"
#include "tests/backends.hpp"
#include "tests/errors.hpp"

using Catch::Matchers::Contains;
using hepcat::EventColumns;
using hepcat::EventSet;
using hepcat::EventTable;
using hepcat::test::test_devices;

using hepcat::test::error_of;

namespace {

template <class T>
std::vector<T> to_host(const hepcat::Context& ctx, const T* ptr, std::size_t n) {
  std::vector<T> out(n);
  hepcat::memory::copy_to_host(ctx, out.data(), ptr, n * sizeof(T));
  return out;
}

EventTable small_table() {
  EventTable t;
  t.add("x", {0.5f, -1.f, 2.f, 3.5f, 0.f, 1.f});
  t.add("y", {1.f, 2.f, 3.f, 4.f, 5.f, 6.f});
  t.add("w", {1.5f, -0.25f, 2.f, 0.5f, -1.f, 4.f});
  t.add("proc", {0.f, 2.f, 1.f, 2.f, 0.f, 2.f});
  return t;
}

}  // namespace

TEST_CASE("EventSet holds the columns as given and negative weights count in per-process sums",
          "[event_set]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const std::size_t n = 10007;
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.f, 1.f);
  std::uniform_int_distribution<int> pick(0, 4);
  EventTable t;
  std::vector<float> a(n), b(n), w(n), p(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = g(rng);
    b[i] = g(rng);
    w[i] = g(rng);  // about half negative
    p[i] = static_cast<float>(pick(rng));
  }
  t.add("a", a);
  t.add("b", b);
  t.add("w", w);
  t.add("p", p);
  const EventSet ev(ctx, t, EventColumns{{"b", "a"}, "w", "p", 0});
  REQUIRE(ev.size() == n);
  REQUIRE(ev.n_features() == 2);
  CHECK(ev.n_processes() == 5);
  CHECK(ev.backend() == ctx.backend());
  CHECK(ev.feature_index("a") == 1);
  CHECK(to_host(ctx, ev.feature(0), n) == b);
  CHECK(to_host(ctx, ev.feature(1), n) == a);
  CHECK(to_host(ctx, ev.weights(), n) == w);
  std::vector<std::int32_t> ids(n);
  std::vector<double> sums(5, 0.0);
  std::vector<std::size_t> counts(5, 0);
  for (std::size_t i = 0; i < n; ++i) {
    ids[i] = static_cast<std::int32_t>(p[i]);
    sums[static_cast<std::size_t>(p[i])] += w[i];
    ++counts[static_cast<std::size_t>(p[i])];
  }
  CHECK(to_host(ctx, ev.process(), n) == ids);
  CHECK(ev.process_counts() == counts);
  // Both sums add the same float values in the same order in double: exact agreement.
  CHECK(ev.process_weight_sums() == sums);
}

TEST_CASE("EventSet without weight or process columns is one process of unit weights",
          "[event_set]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const EventTable t = small_table();
  const EventSet one(ctx, t, EventColumns{{"x"}, "", "", 0});
  CHECK(one.n_processes() == 1);
  CHECK(one.process_counts() == std::vector<std::size_t>{6});
  CHECK(one.process_weight_sums() == std::vector<double>{6.0});
  CHECK(to_host(ctx, one.weights(), 6) == std::vector<float>(6, 1.f));
  CHECK(to_host(ctx, one.process(), 6) == std::vector<std::int32_t>(6, 0));

  // Declaring more processes than present leaves the others empty.
  const EventSet declared(ctx, {"x"}, {t.column("x")}, t.column("w"), {}, 3);
  CHECK(declared.n_processes() == 3);
  CHECK(declared.process_counts() == std::vector<std::size_t>{6, 0, 0});
  CHECK(declared.process_weight_sums()[0] == Approx(6.75).epsilon(1e-12));
  CHECK(declared.process_weight_sums()[2] == 0.0);
}

TEST_CASE("EventSet rejects unknown columns, listing the available ones", "[event_set]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const EventTable t = small_table();
  for (const EventColumns& c :
       {EventColumns{{"x", "q"}, "w", "proc", 0}, EventColumns{{"x"}, "weight", "proc", 0},
        EventColumns{{"x"}, "w", "process", 0}})
    CHECK_THAT(error_of([&] { EventSet(ctx, t, c); }),
               Contains("unknown column") && Contains("available: x, y, w, proc"));
  const EventSet ev(ctx, t, EventColumns{{"x", "y"}, "w", "proc", 0});
  CHECK_THAT(error_of([&] { ev.feature_index("z"); }),
             Contains("unknown feature 'z'") && Contains("available: x, y"));
  CHECK_THAT(error_of([&] {
               EventSet(ctx, t, EventColumns{{}, "w", "proc", 0});
             }),
             Contains("no feature columns"));
  CHECK_THAT(error_of([&] {
               EventSet(ctx, t, EventColumns{{"x", "y", "x"}, "w", "", 0});
             }),
             Contains("feature 'x' is listed twice"));
}

TEST_CASE("EventSet rejects columns of different lengths, naming them", "[event_set]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const std::vector<float> six(6, 1.f), five(5, 1.f);
  CHECK_THAT(error_of([&] {
               EventSet(ctx, {"a", "b"}, {six, five}, {}, {});
             }),
             Contains("feature 'b' has 5 rows") && Contains("feature 'a' has 6"));
  CHECK_THAT(error_of([&] { EventSet(ctx, {"a"}, {six}, five, {}); }),
             Contains("weights has 5 rows"));
  CHECK_THAT(error_of([&] { EventSet(ctx, {"a"}, {six}, {}, std::vector<std::int32_t>(7, 0)); }),
             Contains("process ids has 7 rows"));
  EventTable t = small_table();
  t.columns[2].pop_back();  // a table assembled by hand can be ragged
  CHECK_THAT(error_of([&] {
               EventSet(ctx, t, EventColumns{{"x"}, "w", "", 0});
             }),
             Contains("weight column 'w' has 5 rows"));
  CHECK_THAT(error_of([&] {
               EventSet(ctx, {"a", "b"}, {six}, {}, {});
             }),
             Contains("1 feature columns but 2 names"));
}

TEST_CASE("EventSet rejects NaN and infinite features and weights, naming column and row",
          "[event_set]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (const float bad : {nan, inf, -inf}) {
    EventTable t = small_table();
    t.columns[1][3] = bad;
    CHECK_THAT(error_of([&] {
                 EventSet(ctx, t, EventColumns{{"x", "y"}, "w", "proc", 0});
               }),
               Contains("feature 'y'") && Contains("row 3") && Contains("non-finite"));
    t = small_table();
    t.columns[2][4] = bad;
    CHECK_THAT(error_of([&] {
                 EventSet(ctx, t, EventColumns{{"x", "y"}, "w", "proc", 0});
               }),
               Contains("weight column 'w'") && Contains("row 4") && Contains("non-finite"));
    CHECK_THAT(error_of([&] { EventSet(ctx, {"a"}, {t.column("x")}, t.column("w"), {}); }),
               Contains("weights") && Contains("row 4"));
  }
}

TEST_CASE("EventSet rejects empty input", "[event_set]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  CHECK_THAT(error_of([&] { EventSet(ctx, {"a"}, {std::vector<float>{}}, {}, {}); }),
             Contains("no events"));
  EventTable t;
  t.add("x", {});
  t.add("w", {});
  CHECK_THAT(error_of([&] {
               EventSet(ctx, t, EventColumns{{"x"}, "w", "", 0});
             }),
             Contains("no events"));
}

TEST_CASE("EventSet rejects process ids that are not integers below n_processes", "[event_set]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const auto with_process = [](float value, std::size_t row) {
    EventTable t = small_table();
    t.columns[3][row] = value;
    return t;
  };
  const EventColumns c{{"x"}, "w", "proc", 0};
  for (const float bad : {1.5f, -1.f, std::numeric_limits<float>::quiet_NaN(), 2147483648.f})
    CHECK_THAT(error_of([&] { EventSet(ctx, with_process(bad, 4), c); }),
               Contains("process column 'proc'") && Contains("row 4") &&
                   Contains("non-negative integers"));

  // An explicit number of processes bounds the ids.
  const EventColumns three{{"x"}, "w", "proc", 3};
  CHECK_THAT(error_of([&] { EventSet(ctx, with_process(3.f, 5), three); }),
             Contains("process column 'proc'") && Contains("row 5") && Contains("[0, 3)"));
  const EventSet ok(ctx, small_table(), three);
  CHECK(ok.n_processes() == 3);
  CHECK(ok.process_counts() == std::vector<std::size_t>{2, 1, 3});
  CHECK(ok.process_weight_sums()[2] == Approx(-0.25 + 0.5 + 4.0).epsilon(1e-12));
  CHECK(ok.process_weight_sums()[0] == Approx(0.5).epsilon(1e-12));

  const std::vector<float> x(3, 0.f);
  CHECK_THAT(error_of([&] {
               EventSet(ctx, {"a"}, {x}, {}, {0, -2, 1});
             }),
             Contains("process ids has -2 at row 1"));
  CHECK_THAT(error_of([&] {
               EventSet(ctx, {"a"}, {x}, {}, {0, 2, 1}, 2);
             }),
             Contains("process ids has 2 at row 1"));
  CHECK_THAT(error_of([&] { EventSet(ctx, {"a"}, {x}, {}, {}, -1); }),
             Contains("n_processes must not be negative"));
}
