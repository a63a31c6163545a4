// counter_rng's uniform and normal variates against the mapping its header
// documents, rebuilt here independently: uniforms from the blocks through hex
// strings, normals by mpfr_log, mpfr_cos and mpfr_sin of 2*pi*b at 3x precision.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

#include "gradlab/scalar/counter_rng.hpp"
#include "support/mp_values.hpp"

using namespace gradlab;
using test::mp;

namespace {

// The first `bits` bits of slot i, read as k, times 2^-bits: the header's rule,
// through a hex string instead of limbs.
void expected_uniform(mpfr_ptr out, const counter_rng& rng, std::uint64_t slot, long bits) {
    const long n_words = (bits + 31) / 32;
    std::string hex;
    for (long w = 0; w < n_words; ++w) {
        char word[9];
        std::snprintf(word, sizeof word, "%08x", rng.block(slot + (std::uint64_t(w / 4) << 48))[w % 4]);
        hex += word;
    }
    mpz_t k;
    mpz_init_set_str(k, hex.c_str(), 16);
    mpz_fdiv_q_2exp(k, k, 32 * n_words - bits);
    REQUIRE(mpfr_set_z_2exp(out, k, -bits, MPFR_RNDN) == 0);
    mpz_clear(k);
}

}  // namespace

TEST_CASE("uniform variates are the documented slot bits, exactly", "[scalar][rng]") {
    const counter_rng rng(0x0123456789abcdef, 7);
    for (long bits : {1L, 24L, 32L, 33L, 53L, 64L, 65L, 113L, 128L, 129L, 300L, 1000L}) {
        for (std::uint64_t i : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{12345},
                                counter_rng::max_index - 1}) {
            mp got(bits), expected(bits);
            rng.uniform(got.v, i);
            expected_uniform(expected.v, rng, i, bits);
            INFO("bits " << bits << " index " << i);
            CHECK(mpfr_equal_p(got.v, expected.v));
        }
    }
}

TEST_CASE("a uniform variate is the truncation of every wider one", "[scalar][rng]") {
    const counter_rng rng(42);
    for (std::uint64_t i = 0; i < 50; ++i) {
        mp wide(777), narrow(53), truncated(777);
        rng.uniform(wide.v, i);
        rng.uniform(narrow.v, i);
        mpfr_mul_2ui(truncated.v, wide.v, 53, MPFR_RNDN);
        mpfr_floor(truncated.v, truncated.v);
        mpfr_div_2ui(truncated.v, truncated.v, 53, MPFR_RNDN);
        CHECK(mpfr_equal_p(narrow.v, truncated.v));
    }
}

TEST_CASE("normal variates are Box-Muller of the documented uniforms, correctly rounded", "[scalar][rng]") {
    const counter_rng rng(2024, 3);
    for (long p : {11L, 24L, 53L, 96L, 97L, 113L, 200L}) {
        const long q = 128 * ((p + 32 + 127) / 128);
        const long r = 3 * q;  // reference precision: error ~2^-r relative, far below 2^-p
        for (std::uint64_t i = 0; i < 40; ++i) {
            mp a(q), b(q), radius(r), angle(r), reference(r), expected(p), got(p);
            rng.uniform(a.v, i & ~std::uint64_t{1});
            rng.uniform(b.v, (i & ~std::uint64_t{1}) + 1);
            mpfr_ui_sub(radius.v, 1, a.v, MPFR_RNDN);
            mpfr_log(radius.v, radius.v, MPFR_RNDN);
            mpfr_mul_si(radius.v, radius.v, -2, MPFR_RNDN);
            mpfr_sqrt(radius.v, radius.v, MPFR_RNDN);
            mpfr_const_pi(angle.v, MPFR_RNDN);
            mpfr_mul(angle.v, angle.v, b.v, MPFR_RNDN);
            mpfr_mul_2ui(angle.v, angle.v, 1, MPFR_RNDN);
            if (i % 2 == 0)
                mpfr_cos(angle.v, angle.v, MPFR_RNDN);
            else
                mpfr_sin(angle.v, angle.v, MPFR_RNDN);
            mpfr_mul(reference.v, radius.v, angle.v, MPFR_RNDN);
            mpfr_set(expected.v, reference.v, MPFR_RNDN);
            rng.normal(got.v, i);
            INFO("p " << p << " index " << i << " expected " << mpfr_get_d(expected.v, MPFR_RNDN) << " got "
                      << mpfr_get_d(got.v, MPFR_RNDN));
            CHECK(mpfr_equal_p(got.v, expected.v));
        }
    }
}
