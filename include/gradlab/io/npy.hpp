#pragma once
// NumPy's .npy files (numpy.lib.format), as far as data sets and validation
// cases need them: little-endian <f4, <f8, <i4, <i8 arrays of 1 or 2
// dimensions in C order. Reads format versions 1.0 and 2.0; writes 1.0 with
// the header numpy 1.24 writes, byte for byte (a header for at most two
// dimensions stays far below 1.0's 65535-byte limit, so 2.0 is never needed).
//
// Everything else is refused with an npy_error naming the file and the fault:
// Fortran order, big-endian or unknown dtypes, object and structured arrays,
// 0-d and 3-d or more, a malformed header, data shorter or longer than the
// shape says. Reading never trusts a length it has not checked against the
// bytes present.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gradlab::io {

struct npy_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class npy_dtype { f4, f8, i4, i8 };

// "<f4", "<f8", "<i4", "<i8": the descr in the header.
std::string_view npy_descr(npy_dtype dtype);

struct npy_array {
    npy_dtype dtype = npy_dtype::f8;
    std::vector<std::size_t> shape;  // 1 or 2 entries
    // The values in C order, exactly: f4 and f8 as double, i4 and i8 as int64.
    std::variant<std::vector<double>, std::vector<std::int64_t>> values;

    bool is_integer() const { return dtype == npy_dtype::i4 || dtype == npy_dtype::i8; }
    std::size_t rows() const { return shape.at(0); }
    // 1 for a 1-d array: its elements are rows of one column.
    std::size_t cols() const { return shape.size() == 2 ? shape[1] : 1; }
};

npy_array read_npy(const std::filesystem::path& path);
// The contents of a .npy file already in memory; `source` names it in errors.
npy_array parse_npy(std::span<const unsigned char> bytes, const std::string& source);

// Writes `values` (C order, as many as the shape's 1 or 2 dimensions hold) as
// <f8 or <i8, atomically: to a temporary file in the same directory, renamed
// over `path` once complete. Throws npy_error naming the file on a bad shape
// or a failed write, and leaves no temporary file behind.
void write_npy(const std::filesystem::path& path, std::span<const std::size_t> shape,
               std::span<const double> values);
void write_npy(const std::filesystem::path& path, std::span<const std::size_t> shape,
               std::span<const std::int64_t> values);

}  // namespace gradlab::io
