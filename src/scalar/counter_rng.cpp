#include "gradlab/scalar/counter_rng.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <string>

#include <gmp.h>

static_assert(GMP_NUMB_BITS == 64, "slot_bits packs two 32-bit words per limb");

namespace gradlab {

namespace {

using words = std::array<std::uint32_t, 4>;

// Ten rounds of Philox4x32 (SC'11, section 3.2). The multipliers are the
// paper's; the key increments are the Weyl constants (golden ratio - 1 and
// sqrt(3) - 1, in 0.32 fixed point).
words philox4x32_10(words counter, std::array<std::uint32_t, 2> key) {
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            key[0] += 0x9E3779B9U;
            key[1] += 0xBB67AE85U;
        }
        const std::uint64_t product0 = std::uint64_t{0xD2511F53U} * counter[0];
        const std::uint64_t product1 = std::uint64_t{0xCD9E8D57U} * counter[2];
        counter = {static_cast<std::uint32_t>(product1 >> 32) ^ counter[1] ^ key[0],
                   static_cast<std::uint32_t>(product1),
                   static_cast<std::uint32_t>(product0 >> 32) ^ counter[3] ^ key[1],
                   static_cast<std::uint32_t>(product0)};
    }
    return counter;
}

// Bits of the q-bit uniforms a normal variate needs: whole blocks, with at
// least 32 bits beyond the output so that 1 - a and 2b carry more randomness
// than the output can show.
long normal_uniform_bits(mpfr_prec_t p) { return 128 * ((p + 32 + 127) / 128); }

void check_index(std::uint64_t first, std::size_t count) {
    if (count > counter_rng::max_index || first > counter_rng::max_index - count)
        throw std::out_of_range("counter_rng: variates " + std::to_string(first) + " to " +
                                std::to_string(first + count) + " reach beyond 2^48");
}

void check_bits(long bits) {
    if (bits > counter_rng::max_bits)
        throw std::out_of_range("counter_rng: " + std::to_string(bits) + " random bits asked for, at most " +
                                std::to_string(counter_rng::max_bits) + " per variate");
}

// scale * x + offset, skipping the fma (and its temporary) when it is the identity.
template <class Draw>
void fill(std::span<boost::multiprecision::mpfr_float> out, std::uint64_t first, mpfr_srcptr scale,
          mpfr_srcptr offset, Draw draw) {
    const bool identity = mpfr_cmp_ui(scale, 1) == 0 && mpfr_zero_p(offset);
    const auto n = static_cast<std::ptrdiff_t>(out.size());
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t e = 0; e < n; ++e) {
        mpfr_ptr target = out[e].backend().data();
        const std::uint64_t index = first + static_cast<std::uint64_t>(e);
        if (identity) {
            draw(target, index);
            continue;
        }
        mpfr_t x;
        mpfr_init2(x, mpfr_get_prec(target));
        draw(x, index);
        mpfr_fma(target, x, scale, offset, MPFR_RNDN);
        mpfr_clear(x);
    }
}

}  // namespace

std::array<std::uint32_t, 4> counter_rng::block(std::uint64_t index) const {
    return philox4x32_10({static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32),
                          static_cast<std::uint32_t>(stream_), static_cast<std::uint32_t>(stream_ >> 32)},
                         {static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)});
}

// out = k * 2^-bits, k the first `bits` bits of the slot (header comment).
// Needs prec(out) >= bits: then every step is exact.
void counter_rng::slot_bits(mpfr_ptr out, std::uint64_t slot, long bits) const {
    if (bits <= 64) {
        const auto first = block(slot);
        const std::uint64_t top = (std::uint64_t{first[0]} << 32) | first[1];
        mpfr_set_uj_2exp(out, top >> (64 - bits), -bits, MPFR_RNDN);
        return;
    }
    // The words form one integer of 32 * n_words bits, word 0 on top; the
    // bits of the last word below the `bits`-th are cleared, so the integer
    // has at most `bits` significant bits.
    const long n_words = (bits + 31) / 32;
    const long n_limbs = (n_words + 1) / 2;
    mpz_t k;
    mpz_init(k);
    mp_limb_t* limbs = mpz_limbs_write(k, n_limbs);
    for (long l = 0; l < n_limbs; ++l) limbs[l] = 0;
    std::array<std::uint32_t, 4> current{};
    for (long w = 0; w < n_words; ++w) {
        if (w % 4 == 0) current = block(slot + (static_cast<std::uint64_t>(w / 4) << 48));
        std::uint32_t value = current[static_cast<std::size_t>(w % 4)];
        if (w == n_words - 1) value &= ~std::uint32_t{0} << (32 * n_words - bits);
        const long from_bottom = n_words - 1 - w;  // in words
        limbs[from_bottom / 2] |= mp_limb_t{value} << (32 * (from_bottom % 2));
    }
    mpz_limbs_finish(k, n_limbs);
    [[maybe_unused]] const int inexact = mpfr_set_z_2exp(out, k, -32 * n_words, MPFR_RNDN);
    assert(inexact == 0);
    mpz_clear(k);
}

void counter_rng::uniform(mpfr_ptr out, std::uint64_t index) const {
    check_index(index, 1);
    check_bits(mpfr_get_prec(out));
    slot_bits(out, index, mpfr_get_prec(out));
}

void counter_rng::normal(mpfr_ptr out, std::uint64_t index) const {
    check_index(index, 1);
    const mpfr_prec_t p = mpfr_get_prec(out);
    const long q = normal_uniform_bits(p);
    check_bits(q);
    const std::uint64_t pair = index & ~std::uint64_t{1};
    const bool cosine = index % 2 == 0;

    mpfr_t one_minus_a, two_b, quarter_turns, radius, angle;
    mpfr_inits2(q, one_minus_a, two_b, quarter_turns, static_cast<mpfr_ptr>(nullptr));
    slot_bits(one_minus_a, pair, q);
    mpfr_ui_sub(one_minus_a, 1, one_minus_a, MPFR_RNDN);  // exact: a is a multiple of 2^-q
    slot_bits(two_b, pair + 1, q);
    mpfr_mul_2ui(two_b, two_b, 1, MPFR_RNDN);
    mpfr_mul_2ui(quarter_turns, two_b, 1, MPFR_RNDN);  // 4b: 2 pi b in units of pi/2

    // The result is exactly zero when a = 0, or when 2 pi b is a zero of the
    // cos (an odd multiple of pi/2) or of the sin (an even one). The loop below
    // could not settle those: with pi rounded, the cos or sin it computes is
    // tiny but not zero, and its error bound never falls below its size.
    const bool zero =
        mpfr_cmp_ui(one_minus_a, 1) == 0 ||
        (mpfr_integer_p(quarter_turns) && (mpfr_get_ui(quarter_turns, MPFR_RNDN) % 2 == 1) == cosine);
    if (zero) {
        mpfr_set_zero(out, 1);
        mpfr_clears(one_minus_a, two_b, quarter_turns, static_cast<mpfr_ptr>(nullptr));
        return;
    }

    // Ziv's loop, every operation rounded to nearest at w bits (u = 2^-w).
    // R, T, C, Z are the exact radius, angle 2 pi b, cos or sin and result;
    // r, t, c, z the computed ones; E(x) is MPFR's exponent, 2^(E(x)-1) <= |x| < 2^E(x).
    //  - r = R(1 + alpha), |alpha| <= (1 + u/2 + u^2/4)(1 + u) - 1 < 2u: the sqrt
    //    halves the log's error.
    //  - t = round(round(pi) * 2b), 2b exact, is T(1 + d1)(1 + d2), |d1|, |d2| <= u:
    //    a relative error of at most 2u + u^2, so |t - T| <= |T| (2u + u^2)
    //    < 2^E(t) (2u + u^2) / (1 - u)^2 < 2^E(t) 2.01u.
    //  - cos and sin are 1-Lipschitz, so |cos t - C| <= |t - T|; with the rounding
    //    of c, |c - C| <= 2^(E(c)-1) u + 2^E(t) 2.01u. Relative to c, C = c(1 + beta),
    //    |beta| <= u + 2^(E(t)-E(c)+1) 2.01u <= 2^lost 5.02u, lost = max(0, E(t) - E(c)).
    //    A small cos or sin of a larger angle loses bits; raising w wins them back.
    //  - z = rc(1 + d3), Z = rc(1 + beta) / (1 + alpha), so
    //    |z - Z| <= |z| / (1 - u) * (u + (|beta| + 2u) / (1 - 2u)) < |z| 2^lost 8.1u
    //    < 2^(E(z) - (w - 4 - lost)).
    // With the exact zeros caught above, c and z are never zero. The exact result
    // is not a midpoint of the p-bit grid (it is transcendental by Lindemann and
    // Niven), so the loop ends.
    mpfr_prec_t w = p + 32;
    mpfr_inits2(w, radius, angle, static_cast<mpfr_ptr>(nullptr));
    for (;;) {
        mpfr_log(radius, one_minus_a, MPFR_RNDN);
        mpfr_mul_si(radius, radius, -2, MPFR_RNDN);  // exact
        mpfr_sqrt(radius, radius, MPFR_RNDN);
        mpfr_const_pi(angle, MPFR_RNDN);
        mpfr_mul(angle, angle, two_b, MPFR_RNDN);
        // t = 0 (cos at 2b = 0) is exact and loses nothing.
        const bool exact_angle = mpfr_zero_p(angle);
        const mpfr_exp_t angle_exponent = exact_angle ? 0 : mpfr_get_exp(angle);
        if (cosine)
            mpfr_cos(angle, angle, MPFR_RNDN);
        else
            mpfr_sin(angle, angle, MPFR_RNDN);
        const mpfr_exp_t lost = exact_angle ? 0 : std::max<mpfr_exp_t>(0, angle_exponent - mpfr_get_exp(angle));
        mpfr_mul(radius, radius, angle, MPFR_RNDN);
        if (mpfr_can_round(radius, w - 4 - lost, MPFR_RNDN, MPFR_RNDZ, p + 1)) {
            mpfr_set(out, radius, MPFR_RNDN);
            break;
        }
        w += w / 2;
        mpfr_set_prec(radius, w);
        mpfr_set_prec(angle, w);
    }
    mpfr_clears(one_minus_a, two_b, quarter_turns, radius, angle, static_cast<mpfr_ptr>(nullptr));
}

void counter_rng::fill_uniform(std::span<boost::multiprecision::mpfr_float> out, std::uint64_t first,
                               const boost::multiprecision::mpfr_float& scale,
                               const boost::multiprecision::mpfr_float& offset) const {
    check_index(first, out.size());
    for (const auto& x : out) check_bits(mpfr_get_prec(x.backend().data()));
    fill(out, first, scale.backend().data(), offset.backend().data(),
         [this](mpfr_ptr x, std::uint64_t i) { slot_bits(x, i, mpfr_get_prec(x)); });
}

void counter_rng::fill_normal(std::span<boost::multiprecision::mpfr_float> out, std::uint64_t first,
                              const boost::multiprecision::mpfr_float& scale,
                              const boost::multiprecision::mpfr_float& offset) const {
    check_index(first, out.size());
    for (const auto& x : out) check_bits(normal_uniform_bits(mpfr_get_prec(x.backend().data())));
    fill(out, first, scale.backend().data(), offset.backend().data(),
         [this](mpfr_ptr x, std::uint64_t i) { normal(x, i); });
}

}  // namespace gradlab
