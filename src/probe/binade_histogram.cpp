#include "gradlab/probe/binade_histogram.hpp"

#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include <quadmath.h>

namespace gradlab::probe {

namespace {

// float and double, from the encoding: one count per biased exponent field
// (a table lookup per element, no branch), then the rare fields sorted out:
// field 0 holds zeros and subnormals (whose binade is their top bit's),
// the all-ones field infinities and NaNs.
template <typename F, typename Bits>
void add_native(binade_histogram& h, std::span<const F> x) {
    constexpr int fraction_bits = std::numeric_limits<F>::digits - 1;
    constexpr int exponent_bits = static_cast<int>(sizeof(F) * 8) - 1 - fraction_bits;
    constexpr Bits field_mask = (Bits{1} << exponent_bits) - 1, fraction_mask = (Bits{1} << fraction_bits) - 1;
    constexpr int bias = std::numeric_limits<F>::max_exponent - 1;
    // Four tables, one per element of each group of four: neighbours share a
    // binade, and increments of one counter would wait on each other.
    constexpr std::size_t fields = std::size_t{field_mask} + 1, ways = 4;
    std::vector<std::uint32_t> by_field(ways * fields, 0);  // a tensor holds < 2^32 entries per way
    const auto field_of = [](F v) { return (std::bit_cast<Bits>(v) >> fraction_bits) & field_mask; };
    std::size_t e = 0;
    for (; e + ways <= x.size(); e += ways)
        for (std::size_t w = 0; w < ways; ++w) ++by_field[w * fields + field_of(x[e + w])];
    for (; e < x.size(); ++e) ++by_field[field_of(x[e])];
    for (std::size_t w = 1; w < ways; ++w)
        for (std::size_t f = 0; f < fields; ++f) by_field[f] += by_field[w * fields + f];
    for (Bits f = 1; f < field_mask; ++f)
        if (by_field[f]) h.binades[static_cast<long>(f) - bias] += by_field[f];
    if (by_field[0] == 0 && by_field[field_mask] == 0) return;
    for (const F v : x) {
        const Bits bits = std::bit_cast<Bits>(v);
        const Bits field = (bits >> fraction_bits) & field_mask, fraction = bits & fraction_mask;
        if (field == field_mask) ++(fraction ? h.nans : h.infinities);
        else if (field == 0 && fraction == 0) ++h.zeros;
        // |v| = fraction 2^(1 - bias - fraction_bits)
        else if (field == 0) ++h.binades[static_cast<long>(std::bit_width(fraction)) - bias - fraction_bits];
    }
}

}  // namespace

void binade_histogram::add(std::span<const float> x) { add_native<float, std::uint32_t>(*this, x); }
void binade_histogram::add(std::span<const double> x) { add_native<double, std::uint64_t>(*this, x); }

void binade_histogram::add(std::span<const float128> x) {
    for (const auto& v : x) {
        const __float128 q = v.backend().value();
        if (isnanq(q)) ++nans;
        else if (isinfq(q)) ++infinities;
        else if (q == 0) ++zeros;
        else ++binades[ilogbq(q)];
    }
}

void binade_histogram::add(std::span<const mp_float> x) {
    for (const auto& v : x) {
        const mpfr_srcptr m = v.backend().data();
        if (mpfr_nan_p(m)) ++nans;
        else if (mpfr_inf_p(m)) ++infinities;
        else if (mpfr_zero_p(m)) ++zeros;
        else ++binades[static_cast<long>(mpfr_get_exp(m)) - 1];  // |v| = m 2^exp, m in [1/2, 1)
    }
}

std::size_t binade_histogram::count() const {
    std::size_t n = zeros + infinities + nans;
    for (const auto& [e, c] : binades) n += c;
    return n;
}

}  // namespace gradlab::probe
