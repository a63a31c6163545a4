#pragma once
// `gradlab gradcheck`: a variant's analytic gradients (nn::trainer's
// compute_gradients) against central finite differences, both in one mp
// precision of p bits, at the variant's initial parameters on its first batch,
// each made exactly as `gradlab run` makes them (seed, data, init, batches).
//
// The difference quotient of entry w of a parameter is
//   fd = (L(w + h) - L(w - h)) / ((w + h) - (w - h)),
// divided by the distance of the two points as held, with h = 2^-ceil(p/3)
// 2^max(0, e), |w| in [2^(e-1), 2^e): relative to max(1, |w|), a power of two
// so that w +- h are mostly exact. It is off the derivative by
// the truncation h^2 |L'''| / 6 plus the rounding of the two losses, about
// 2^-p |L| / h: with h ~ 2^(-p/3) each is about 2^(-2p/3) (2e-103 at mp512,
// 4e-52 at mp256), times |L'''| and |L| on the scale of max(1, |w|).
//
// L is the training-mode loss, the function compute_gradients differentiates:
// the trainer's network run forward in training mode (BatchNorm on the
// batch's statistics) and the study's loss, without a backward pass or an
// update. trainer::evaluate() would not do: its evaluation pass puts
// BatchNorm on its running statistics, another function.
//
// An entry's relative error is |a - fd| / max(|a|, |fd|, floor), with the
// floor 2^-ceil(p/3) max(1, |L|): the quotient of an entry whose gradient is 0
// is rounding noise of ~2^(-2p/3) max(1, |L|), which relative to itself would
// be 1. Entries below the floor (both |a| and |fd|) are judged on its scale,
// in effect absolutely: at mp256 gradients below ~1e-26 max(1, |L|) pass
// unless off by more than ~7e-46 (the floor times 2^(-p/4)), at mp512 below
// ~3e-52 unless off by ~1e-90; check a vanishing gradient at a precision
// whose floor lies beneath it. Every entry's relative error is thus at most
// its absolute error over the floor: ~2^(-2p/3) / 2^(-p/3) = 2^(-p/3).
// A tensor is "ok" when every checked entry's relative error is below
// 2^(-p/4): far above the expected 2^(-2p/3), far below the error of a wrong
// formula (a dropped term, a transposed index: O(1) relative).
//
// Entries checked: all of a tensor of at most N entries, else N spread over
// it in row-major order, the flat indices floor(k (size - 1) / (N - 1)) for
// k = 0, ..., N - 1 (the first and the last entry included; N = 1: the first).
//
// The computation (sample_derivatives) and the verdict (compare) are separate
// so that a test can hand compare() a deliberately wrong analytic gradient.

#include <cstddef>
#include <string>
#include <vector>

#include "gradlab/experiment/study.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/precision.hpp"

namespace gradlab::validate {

// One parameter tensor's derivatives at its checked entries.
struct sampled_derivatives {
    std::string name;  // "layers.0.weight"
    std::size_t rows = 0, cols = 0;
    std::vector<std::size_t> entries;  // flat row-major indices
    std::vector<mp_float> analytic, finite_difference;  // one per entry
};

struct derivative_samples {
    std::string variant;
    int bits = 0;  // p
    mp_float loss;
    std::vector<sampled_derivatives> tensors;  // network order
};

struct finite_difference_verdict {
    std::string name;
    std::size_t rows = 0, cols = 0;
    std::size_t entries_checked = 0;
    std::size_t entries_under_floor = 0;  // judged on the floor's scale (see above)
    long double max_relative_error = 0;
    long double max_absolute_error = 0;
    std::size_t worst_entry = 0;  // flat index of the largest relative error
    bool ok = true;
};

// The flat indices of the entries checked in a tensor of `size` entries.
std::vector<std::size_t> checked_entries(std::size_t size, std::size_t n);

// 2^(-p/4): a tensor is "ok" when every relative error is below it.
long double mismatch_threshold(int bits);
// 2^(-2p/3): the order of the difference quotient's error.
long double expected_error(int bits);

// The variant `variant` of `s` in the mp precision `spec` (std::invalid_argument
// for any other: "gradcheck needs an mp precision, e.g. mp512"), `entries` (N >= 1)
// entries per larger tensor.
derivative_samples sample_derivatives(const experiment::study& s, const experiment::study_variant& variant,
                                      const precision& spec, std::size_t entries);

// Each tensor's errors and verdict.
std::vector<finite_difference_verdict> compare(const derivative_samples& samples);

}  // namespace gradlab::validate
