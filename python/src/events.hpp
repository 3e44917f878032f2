// Events over Python arrays: an EventSet and what keeps its columns alive.
#pragma once

#include <memory>
#include <vector>

#include "columns.hpp"
#include "hepcat/event_set.hpp"

namespace hepcat::python {

struct Events {
  std::shared_ptr<Context> ctx;
  ColumnStore store;
  std::unique_ptr<EventSet> set;
  std::vector<bool> borrowed;  ///< per feature: the caller's memory, used in place
  bool weights_borrowed = false, process_borrowed = false;

  ~Events() {
    set.reset();  // before the columns it reads
  }
};

}  // namespace hepcat::python
