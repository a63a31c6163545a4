#pragma once
// What kinds of values a tensor holds, counted in one pass: the counts the
// probes turn into "fraction exactly zero", "fraction subnormal in this
// precision's format", NaN and Inf counts. Every count is exact, so a census
// is the same for any thread count and instruction set.

#include <cstddef>

namespace gradlab {

struct value_census {
    std::size_t count = 0;       // elements examined
    std::size_t zeros = 0;       // +0 and -0
    std::size_t subnormals = 0;  // nonzero and finite, below the format's smallest normal in magnitude
    std::size_t nans = 0;
    std::size_t infinities = 0;  // +Inf and -Inf

    // Nonzero finite values of at least the smallest normal.
    std::size_t normals() const { return count - zeros - subnormals - nans - infinities; }

    // The census of two disjoint parts of a tensor is the sum of theirs.
    value_census& operator+=(const value_census& other) {
        count += other.count;
        zeros += other.zeros;
        subnormals += other.subnormals;
        nans += other.nans;
        infinities += other.infinities;
        return *this;
    }

    bool operator==(const value_census&) const = default;
};

}  // namespace gradlab
