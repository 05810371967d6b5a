// A folder of golden vectors: the inputs a health check feeds and the outputs it expects.
//
// File names: case<N>.input.<tensor>.npy and case<N>.output.<tensor>.npy, N = 0, 1, ...;
// <tensor> is the graph input or output name with characters outside [A-Za-z0-9_.-] replaced
// by '_' (as `ledge run --output-dir` names its files). Any other file in the folder is an
// error, so that a misspelled name is not silently left out.
//
//   LEDGE_ASSIGN(GoldenDir g, read_golden_dir("golden/"));
//   spec.manifest.golden = g.cases;                 // tensor name -> file name
//   for (auto& f : g.files) spec.files.push_back(std::move(f));
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "deploy/bundle_format.h"
#include "deploy/manifest.h"

namespace ledge::deploy {

struct GoldenDir {
  std::vector<GoldenVector> cases;  // in case number order; tolerances at their defaults
  std::vector<BundleFile> files;    // the .npy files, named as in the folder
};

// Reads every file (each must be a valid .npy); each case needs an input and an output.
Expected<GoldenDir> read_golden_dir(const std::string& dir);

}  // namespace ledge::deploy
