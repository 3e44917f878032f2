// The whole public API.
#pragma once

#include "hepcat/binning.hpp"
#include "hepcat/binning_job.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/context.hpp"
#include "hepcat/cuts.hpp"
#include "hepcat/error.hpp"
#include "hepcat/event_set.hpp"
#include "hepcat/event_table.hpp"
#include "hepcat/fit.hpp"
#include "hepcat/io.hpp"
#include "hepcat/merge.hpp"
#include "hepcat/ops.hpp"
#include "hepcat/optim.hpp"
#include "hepcat/splitfit.hpp"
#include "hepcat/timer.hpp"
#include "hepcat/toy.hpp"
