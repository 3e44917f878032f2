// Every command against a table of bad inputs: each must exit non-zero with exactly one line
// "hepcat: error: ..." in hepcat's words (no library exception text), and leave no output file
// and no temporary behind. The table with the messages is written to tmp/bad_inputs.md for review.
#include <catch2/catch.hpp>

#include <fstream>

#include "hepcat/io.hpp"
#include "tests/cli/cli_run.hpp"

#ifdef HEPCAT_HAVE_HDF5
#include "hepcat/assign_toy.hpp"
#include "hepcat/jets.hpp"
#endif

#ifdef HEPCAT_CLI

using namespace hepcat_test;

namespace {

// The input files, written once into `dir`; command lines name them as ../<file>.
void write_inputs(const fs::path& dir) {
  std::string good = "x,y,weight,process,label,mass\n";
  for (int i = 0; i < 300; ++i)
    good += std::to_string(0.01 * (i % 37)) + "," + std::to_string(0.02 * (i % 23)) + ",1," +
            std::to_string(i % 3) + "," + std::to_string(i % 3 == 0) + "," +
            std::to_string(100 + i % 50) + "\n";
  write_text(dir / "good.csv", good);
  write_text(dir / "empty.csv", "");
  write_text(dir / "header.csv", "x,y,weight,process,label,mass\n");
  write_text(dir / "truncated.csv", good.substr(0, good.size() / 2) + "0.5,0.1\n");
  write_text(dir / "text.csv", "x,y,weight,process,label,mass\n0.1,abc,1,0,1,100\n");
  write_text(dir / "nan.csv", good + "nan,0.1,1,0,1,100\n");
  write_text(dir / "inf.csv", good + "0.1,0.1,inf,0,1,100\n");
  write_text(dir / "badlabel.csv", good + "0.1,0.1,1,0,2,100\n");
  write_text(dir / "negproc.csv", good + "0.1,0.1,1,-1,0,100\n");
  write_text(dir / "fake.h5", "this is not an HDF5 file\n");
  write_text(dir / "hist.json", R"({"counts": [[1, 2, 3, 4], [4, 3, 2, 1]]})");
  write_text(dir / "hist_truncated.json", R"({"counts": [[1, 2, 3)");
  write_text(dir / "hist_type.json", R"({"counts": "many"})");
  write_text(dir / "hist_ragged.json", R"({"counts": [[1, 2, 3, 4], [4, 3]]})");
  write_text(dir / "hist_empty.json", R"({"counts": []})");
  write_text(dir / "hist_zero.json", R"({"counts": [[0, 0, 0, 0], [4, 3, 2, 1]]})");
  write_text(dir / "hist_edges.json",
             R"({"counts": [[1, 2, 3, 4], [4, 3, 2, 1]], "edges": [0, 1, 2]})");
  write_text(dir / "fit.json", R"({"edges": [0, 1, 2, 3, 4, 5], "histograms": [[5, 4, 3, 2, 1]]})");
  write_text(dir / "fit_truncated.json", R"({"edges": [0, 1, 2)");
  write_text(dir / "fit_type.json", R"({"edges": "wide", "histograms": [[1]]})");
  write_text(dir / "fit_lengths.json",
             R"({"edges": [0, 1, 2, 3], "histograms": [[5, 4, 3, 2, 1]]})");
  write_text(dir / "fit_rows.json", R"({"edges": [0, 1, 2], "histograms": 5})");
  write_text(dir / "fit_edges.json",
             R"({"edges": [0, 2, 1, 3, 4, 5], "histograms": [[5, 4, 3, 2, 1]]})");
  write_text(dir / "model.json",
             R"({"weights": [1], "centre": [0], "spread": [1], "bias": 0, "features": ["y"]})");
#ifdef HEPCAT_HAVE_HDF5
  hepcat::JetToyConfig jets;
  jets.events = 50;
  hepcat::write_jets((dir / "jets.h5").string(), hepcat::generate_jet_toy(jets));
  hepcat::write_table((dir / "table.h5").string(), hepcat::read_table((dir / "good.csv").string()));
#endif
}

struct BadInput {
  std::string input;  ///< what is wrong, for the table
  std::string args;   ///< the command line after "hepcat"
};

const std::vector<BadInput>& table() {
  const std::string cuts = "cuts --device cpu --label label --epochs 3 --targets 0.5 --out o.json";
  const std::string bin = "bin --device cpu --out o.json";
  const std::string split = "splitfit --device cpu --features x,y --toys 5 --out o.json";
  const std::string merge = "merge --device cpu --target 2 --out o.json";
  const std::string mev =
      "merge --device cpu --features x --edges 0:1:8 --process process --target 2 --out o.json";
  const std::string fit = "fit --device cpu --out o.json";
  const std::string abase = "assign baseline --device cpu --out b.h5";
  const std::string train = "assign train --device cpu --out m.h5";
  const std::string aeval = "assign eval --device cpu -i ../jets.h5 --out e.h5";
  const std::string corrupt = HEPCAT_FUZZ_CORPUS_DIR "/hdf5/corrupt_link_table.h5";
  static const std::vector<BadInput> t = {
      {"unknown study", "toy --study cabin --events 100 --out o.csv"},
      {"zero events", "toy --events 0 --out o.csv"},
      {"negative events", "toy --events -5 --out o.csv"},
      {"events not a number", "toy --events lots --out o.csv"},
      {"absurd events (1e12)", "toy --events 1000000000000 --out o.csv"},
      {"absurd events (2^31-1)", "toy --events 2147483647 --out o.csv"},
      {"absurd splitfit toy", "toy --study splitfit --signal-events 1000000000000 --out o.csv"},
      {"negative signal events", "toy --study splitfit --signal-events -1 --out o.csv"},
      {"NaN luminosity", "toy --events 100 --lumi nan --out o.csv"},
      {"output is a directory", "toy --events 100 --out adir"},
      {"output directory missing", "toy --events 100 --out missing/o.csv"},
      {"unknown output type", "toy --events 100 --out o.parquet"},
      {"repeated scalar option", "toy --events 100 --events 200 --out o.csv"},
      {"unknown device", "toy --events 100 --device tpu --out o.csv"},
      {"missing input", bin + " --features x,y --input ../absent.csv"},
      {"empty file", bin + " --features x,y --input ../empty.csv"},
      {"header only", bin + " --features x,y --input ../header.csv"},
      {"truncated row", bin + " --features x,y --input ../truncated.csv"},
      {"non-numeric cell", bin + " --features x,y --input ../text.csv"},
      {"NaN feature", bin + " --features x,y --input ../nan.csv"},
      {"inf weight", bin + " --features x,y --input ../inf.csv"},
      {"negative process id", bin + " --features x,y --input ../negproc.csv"},
      {"not an HDF5 file", bin + " --features x,y --input ../fake.h5"},
      {"unknown column", bin + " --input ../good.csv --features x,nope"},
      {"feature listed twice", bin + " --input ../good.csv --features x,x"},
      {"negative signal id", bin + " --features x,y --input ../good.csv --signals -1"},
      {"zero epochs", bin + " --features x,y --input ../good.csv --epochs 0"},
      {"bad schedule", bin + " --features x,y --input ../good.csv --lr cosine:a:b"},
      {"absurd study size", "bin --device cpu --study-events 1000000000000"},
      {"output directory missing",
       "bin --device cpu --input ../good.csv --features x,y --epochs 2 --out missing/o.json"},
      {"output is a directory",
       "bin --device cpu --input ../good.csv --features x,y --epochs 2 --out adir"},
      {"missing input", merge + " --input ../absent.json"},
      {"truncated JSON", merge + " --input ../hist_truncated.json"},
      {"counts of wrong type", merge + " --input ../hist_type.json"},
      {"ragged counts", merge + " --input ../hist_ragged.json"},
      {"no counts", merge + " --input ../hist_empty.json"},
      {"empty hypothesis", merge + " --input ../hist_zero.json"},
      {"edges of wrong length", merge + " --input ../hist_edges.json"},
      {"target above bins", "merge --device cpu --input ../hist.json --target 9 --out o.json"},
      {"target zero", "merge --device cpu --input ../hist.json --target 0 --out o.json"},
      {"both inputs", merge + " --input ../hist.json --events ../good.csv"},
      {"NaN feature in events", mev + " --events ../nan.csv"},
      {"bad edges",
       "merge --device cpu --events ../good.csv --features x --edges 1:0:8 --process process "
       "--target 2 --out o.json"},
      {"output directory missing",
       "merge --device cpu --input ../hist.json --target 2 --out missing/o.json"},
      {"missing input", cuts + " --input ../absent.csv"},
      {"empty file", cuts + " --input ../empty.csv"},
      {"header only", cuts + " --input ../header.csv"},
      {"truncated row", cuts + " --input ../truncated.csv"},
      {"NaN feature", cuts + " --input ../nan.csv"},
      {"inf weight", cuts + " --input ../inf.csv --weight weight"},
      {"label not 0/1", cuts + " --input ../badlabel.csv"},
      {"target above 1", cuts + " --input ../good.csv --targets 1.5"},
      {"directions of wrong length", cuts + " --input ../good.csv --features x,y --directions +"},
      {"grid edges without variable", cuts + " --input ../good.csv --grid-edges 0,1"},
      {"output is a directory", "cuts --device cpu --label label --input ../good.csv --out adir"},
      {"plot into missing directory", cuts + " --input ../good.csv --plot missing/p.png"},
      {"missing input", fit + " --input ../absent.json"},
      {"truncated JSON", fit + " --input ../fit_truncated.json"},
      {"edges of wrong type", fit + " --input ../fit_type.json"},
      {"edges and bins differ", fit + " --input ../fit_lengths.json"},
      {"edges not increasing", fit + " --input ../fit_edges.json"},
      {"histograms not an array", fit + " --input ../fit_rows.json"},
      {"unknown model", fit + " --input ../fit.json --model wiggle"},
      {"output directory missing", "fit --device cpu --input ../fit.json --out missing/o.json"},
      {"missing input", split + " --steps 2 --input ../absent.csv"},
      {"empty file", split + " --steps 2 --input ../empty.csv"},
      {"header only", split + " --steps 2 --input ../header.csv"},
      {"NaN feature", split + " --steps 2 --input ../nan.csv"},
      {"NaN feature, supervised", split + " --steps 2 --input ../nan.csv --supervised"},
      {"inf weight", split + " --steps 2 --input ../inf.csv --weight weight"},
      {"label not 0/1", split + " --steps 2 --input ../badlabel.csv --supervised"},
      {"NaN in --test file", split + " --steps 2 --input ../good.csv --test ../nan.csv"},
      {"model of other features",
       split + " --steps 2 --input ../good.csv --init-model ../model.json"},
      {"zero steps", split + " --input ../good.csv --steps 0"},
      {"unknown estimator", split + " --steps 2 --input ../good.csv --estimator best"},
      {"output is a directory",
       "splitfit --device cpu --features x,y --input ../good.csv --out adir"},
#ifdef HEPCAT_HAVE_HDF5
      {"zero events", "assign toy --events 0 --out a.h5"},
      {"events not a number", "assign toy --events lots --out a.h5"},
      {"absurd events (1e12)", "assign toy --events 1000000000000 --out a.h5"},
      {"negative mass", "assign toy --events 100 --mass -1 --out a.h5"},
      {"max jets above the slots", "assign toy --events 100 --max-jets 65 --out a.h5"},
      {"CSV output", "assign toy --events 100 --out a.csv"},
      {"output directory missing", "assign toy --events 100 --out missing/a.h5"},
      {"unknown device", "assign toy --events 100 --device tpu --out a.h5"},
      {"missing input", abase + " -i ../absent.h5"},
      {"not an HDF5 file", abase + " -i ../fake.h5"},
      {"event table, not jets", abase + " -i ../table.h5"},
      {"corrupt HDF5 link table", abase + " -i " + corrupt},
      {"leading jets above max", abase + " -i ../jets.h5 --leading 17"},
      {"summary directory missing", abase + " -i ../jets.h5 --summary missing/b.json"},
      {"missing input", train + " --epochs 1 -i ../absent.h5"},
      {"not an HDF5 file", train + " --epochs 1 -i ../fake.h5"},
      {"event table, not jets", train + " --epochs 1 -i ../table.h5"},
      {"zero epochs", train + " -i ../jets.h5 --epochs 0"},
      {"unknown loss", train + " --epochs 1 -i ../jets.h5 --loss best"},
      {"JSON output", "assign train --device cpu --epochs 1 -i ../jets.h5 --out m.json"},
      {"missing model", aeval + " -m ../absent.h5"},
      {"model not HDF5", aeval + " -m ../fake.h5"},
      {"jet file as model", aeval + " -m ../jets.h5"},
#endif
  };
  return t;
}

// "toy", "bin", ... or "assign toy", "assign train", ...
std::string command_name(const std::string& args) {
  const std::size_t end = args.find(' ');
  return args.substr(0, args.rfind("assign ", 0) == 0 ? args.find(' ', end + 1) : end);
}

}  // namespace

TEST_CASE("every command answers bad input with one error line and leaves no file",
          "[cli][bad-inputs]") {
  const fs::path dir = scratch_dir("bad_inputs");
  write_inputs(dir);
  std::ofstream report(fs::path(HEPCAT_TEST_TMP) / "bad_inputs.md");
  report << "| command | input | exit | message |\n|---|---|---|---|\n";
  for (const BadInput& b : table()) {
    fs::remove_all(dir / "out");
    fs::create_directories(dir / "out" / "adir");
    const CliRun r = run_cli(dir, b.args);
    const std::string message = r.err_lines.empty() ? "" : r.err_lines.front();
    report << "| " << command_name(b.args) << " | " << b.input << " | " << r.status << " | `"
           << message << "` |\n";
    INFO("hepcat " << b.args << "\n  -> exit " << r.status << ": " << message);
    CHECK(r.status > 0);
    CHECK(r.err_lines.size() == 1);
    CHECK(message.rfind("hepcat: error: ", 0) == 0);
    CHECK(message.find("exception") == std::string::npos);  // no library internals
    CHECK(listing(dir / "out") == std::vector<std::string>{"adir"});
    CHECK(fs::is_empty(dir / "out" / "adir"));
  }
}

#endif
