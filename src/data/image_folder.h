// Folders of pictures as data sets: the files load_dataset (data/dataset.h) reads when a
// folder holds PNG or JPEG images.
//
//   flat:        photos/a.jpg, photos/b.png, ...           samples in name order, no labels
//   by class:    val/cat/1.jpg, val/dog/7.jpg, ...          label = index of the class folder
//                                                           in name order (as torchvision's
//                                                           ImageFolder numbers them)
//
// Names starting with '.' are skipped. Every image goes through one PreprocessSpec
// (data/preprocess.h); they must all come out one size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "data/preprocess.h"

namespace ledge {

struct ImageFolderListing {
  std::vector<std::string> files;        // relative to the folder ("cat/1.jpg"), sorted
  std::vector<int64_t> labels;           // one per file, or empty (flat folder)
  std::vector<std::string> class_names;  // the class folders, sorted; empty when flat
};

// Whether `dir` holds images directly or in class folders (one level down).
bool holds_images(const std::string& dir);

// The images of a folder: its own if it has any (flat), else those of its subfolders (classes;
// a subfolder without images still takes a class index). No images at all: an error.
Expected<ImageFolderListing> list_image_folder(const std::string& dir);

// Decodes and preprocesses images into one data set. `limit` >= 0 keeps the first `limit`
// files. samples is float32 [N, ...the spec's sample shape]; names and labels (if any) follow.
Expected<Dataset> load_image_folder(const std::string& dir, const PreprocessSpec& spec,
                                    int64_t limit = -1);

// The same for a list of image files (names as given); no labels.
Expected<Dataset> load_image_files(const std::vector<std::string>& paths,
                                   const PreprocessSpec& spec);

}  // namespace ledge
