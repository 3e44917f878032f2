#include <catch2/catch.hpp>

#include "hepcat/context.hpp"
#include "hepcat/error.hpp"

TEST_CASE("device specifications parse auto, cpu, cuda and cuda:N and reject anything else",
          "[context]") {
  using Kind = hepcat::DeviceSpec::Kind;
  CHECK(hepcat::DeviceSpec::parse("auto").kind == Kind::automatic);
  CHECK(hepcat::DeviceSpec::parse("cpu").kind == Kind::cpu);
  CHECK(hepcat::DeviceSpec::parse("cuda").kind == Kind::cuda);
  CHECK(hepcat::DeviceSpec::parse("cuda:3").index == 3);
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda1", "", "CPU"})
    CHECK_THROWS_WITH(hepcat::DeviceSpec::parse(bad), Catch::Contains("invalid device"));
}

TEST_CASE("auto picks CUDA exactly when a device is present, and cpu always works", "[context]") {
  hepcat::Context automatic("auto");
  const bool has_gpu = !hepcat::cuda_devices().empty();
  CHECK(automatic.is_cuda() == has_gpu);
  hepcat::Context cpu("cpu");
  CHECK(cpu.backend() == hepcat::Backend::cpu);
  CHECK(cpu.device_index() == -1);
  CHECK(cpu.stream() == nullptr);
}

TEST_CASE("asking for CUDA without a device is one clear error", "[context]") {
  if (!hepcat::cuda_devices().empty()) return;  // only meaningful without a device
  CHECK_THROWS_WITH(hepcat::Context("cuda"), Catch::Contains("cuda"));
}

TEST_CASE("scratch memory grows and keeps its address while large enough", "[context]") {
  hepcat::Context ctx("cpu");
  void* a = ctx.scratch(100);
  REQUIRE(a != nullptr);
  CHECK(ctx.scratch(50) == a);
  CHECK(ctx.scratch(1 << 20) != nullptr);
}
