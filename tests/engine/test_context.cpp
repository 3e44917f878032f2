#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

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

namespace {

// Whether a CUDA device is visible, from outside the CUDA runtime: the build has the backend, the
// NVIDIA driver lists a GPU under /proc, and CUDA_VISIBLE_DEVICES does not hide them all.
bool gpu_visible() {
  if (!hepcat::build_info().cuda) return false;
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
    const std::string v = visible;
    if (v.empty() || v[0] == '-') return false;
  }
  const std::filesystem::path gpus = "/proc/driver/nvidia/gpus";
  std::error_code ec;
  return std::filesystem::is_directory(gpus, ec) &&
         std::filesystem::directory_iterator(gpus, ec) != std::filesystem::directory_iterator();
}

}  // namespace

TEST_CASE("auto picks CUDA exactly when a device is present, and cpu always works", "[context]") {
  hepcat::Context automatic("auto");
  CHECK(automatic.is_cuda() == gpu_visible());
  hepcat::Context cpu("cpu");
  CHECK(cpu.backend() == hepcat::Backend::cpu);
  CHECK(cpu.device_index() == -1);
  CHECK(cpu.stream() == nullptr);
}

TEST_CASE("asking for a CUDA device that is not there is one clear error", "[context]") {
  const std::size_t n = hepcat::cuda_devices().size();
  // Without a device "cuda" itself fails; with n devices, ordinal n is one too many.
  const std::string missing = n == 0 ? "cuda" : "cuda:" + std::to_string(n);
  CHECK_THROWS_WITH(hepcat::Context(missing), Catch::Contains("device '" + missing + "'"));
}

TEST_CASE("scratch memory grows and keeps its address while large enough", "[context]") {
  hepcat::Context ctx("cpu");
  void* a = ctx.scratch(100);
  REQUIRE(a != nullptr);
  CHECK(ctx.scratch(50) == a);
  // Growing gives a block whose every byte is usable, and smaller requests then reuse it.
  const std::size_t big = std::size_t(1) << 20;
  auto* b = static_cast<unsigned char*>(ctx.scratch(big));
  REQUIRE(b != nullptr);
  for (std::size_t i = 0; i < big; ++i) b[i] = static_cast<unsigned char>(i * 7);
  CHECK(ctx.scratch(100) == b);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < big; ++i) wrong += b[i] != static_cast<unsigned char>(i * 7);
  CHECK(wrong == 0);
}
