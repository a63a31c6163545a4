#pragma once
// Training data from NumPy files, as the engine's precision-free data set.

#include <filesystem>

#include "gradlab/nn/dataset.hpp"

namespace gradlab::io {

// A data set (nn/dataset.hpp) from NumPy files: x of floats (<f4, <f8; n or (n, d)), y of
// floats (regression targets, n or (n, k)) or of integers (class labels, n or
// (n, 1), non-negative; y then holds them as numbers in one column). Values
// are held at `bits` (exactly when bits >= 53, or 24 for <f4; labels when
// bits >= 63). Throws io::npy_error for an unreadable file and
// std::invalid_argument when the two files do not fit together, naming them.
nn::dataset read_dataset(const std::filesystem::path& x_path, const std::filesystem::path& y_path, int bits);


}  // namespace gradlab::io
