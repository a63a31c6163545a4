#pragma once
// How a tensor's magnitudes spread over binades: the count of entries with
// 2^e <= |x| < 2^(e+1) for each exponent e, and the counts of zeros,
// infinities and NaNs. Read off each value exactly as held, so it places a
// tensor against its format's range: an fp16 value below 2^-14 is subnormal,
// one of 0 may have underflowed (gradient_histograms.csv; the report's
// histogram of log2 |gradient|).

#include <cstddef>
#include <map>
#include <span>

#include "gradlab/scalar/conversions.hpp"

namespace gradlab::probe {

struct binade_histogram {
    std::map<long, std::size_t> binades;  // e -> count; only binades that occur
    std::size_t zeros = 0, infinities = 0, nans = 0;

    void add(std::span<const float> x);
    void add(std::span<const double> x);
    void add(std::span<const float128> x);
    void add(std::span<const mp_float> x);
    void clear() { *this = {}; }
    std::size_t count() const;  // every entry added
};

}  // namespace gradlab::probe
