// The MPI test binary: every rank runs the same test cases in the same order (their exchanges
// are collective); the run fails when any rank fails. Started without mpirun it is one rank (an
// MPI singleton), and in builds without MPI the single-process communicator is tested.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "hepcat/communicator.hpp"

int main(int argc, char** argv) {
  if (hepcat::mpi_available()) hepcat::set_world(hepcat::mpi_communicator(&argc, &argv));
  const int failed = Catch::Session().run(argc, argv);
  double worst = failed;
  hepcat::world().max(&worst, 1);
  hepcat::set_world(nullptr);
  return worst > 0 ? 1 : 0;
}
