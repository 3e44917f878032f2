// A job whose last rank leaves while the others wait for it in an exchange: `die` ends that rank
// at once (as a crash or a kill would), `error` ends it the way hepcat does on an error
// (Communicator::abort). Either way the launcher must end the whole job with a non-zero status.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hepcat/communicator.hpp"

int main(int argc, char** argv) {
  hepcat::set_world(hepcat::mpi_communicator(&argc, &argv));
  const hepcat::Communicator& world = hepcat::world();
  const bool die = argc > 1 && std::strcmp(argv[1], "die") == 0;
  if (world.rank() == world.size() - 1) {
    std::fprintf(stderr, "rank %d leaves the job (%s)\n", world.rank(), die ? "die" : "error");
    if (die) std::_Exit(3);
    world.abort(2);
  }
  double partial = 1.0, sum = 0.0;
  world.sum_chunks(&partial, 1, 1, &sum);  // never completes: one rank is missing
  hepcat::set_world(nullptr);
  return 0;
}
