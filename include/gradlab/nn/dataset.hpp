#pragma once
// Data sets, made once in the highest precision of a run (MPFR at `bits`)
// and rounded once into each precision with round_into(), as DESIGN.md asks:
// every precision then trains on the correctly rounded image of the same data.
//
// The generators draw from counter_rng streams of their own (below), variate
// index = position in row-major order (per sample for the spirals), so each
// value depends on the seed, its position and `bits` only: never on the thread
// count, and a set of n samples begins with the set of fewer samples. The
// streams lie in 0xda7a'0000 .. 0xda7a'ffff; other users of a run's seed
// (weight initialisation, shuffling) draw from other streams.
//
//   teacher_student  x: 0xda7a'0001 (normal); teacher parameters: 0xda7a'0002
//                    (normal, the parameters in network order, one after the other)
//   gaussian_blobs   centres: 0xda7a'0011 (uniform); noise: 0xda7a'0012 (normal)
//   two_spirals      position along the arm: 0xda7a'0021 (uniform); noise: 0xda7a'0022
//                    (normal, two per sample)
//
// Real-valued settings (spread, noise) are decimal text read at `bits` and
// rounded once (arithmetic::number). Arithmetic inside a generator is MPFR at
// `bits`, each operation rounded to nearest: the data are defined by that
// computation, not by the real numbers it approximates.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "gradlab/nn/arithmetic.hpp"
#include "gradlab/nn/network.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/tensor/matrix.hpp"

namespace gradlab::nn {

struct dataset {
    matrix<mp_float> x;                // samples x features
    matrix<mp_float> y;                // samples x outputs: regression targets, or the classes as numbers
    std::vector<std::int64_t> labels;  // one class per sample; empty for regression
};

struct teacher_student_spec {
    std::size_t samples = 0;
    std::size_t input_dim = 1;
    std::size_t output_dim = 1;
    std::size_t hidden_width = 1;
    std::size_t hidden_depth = 1;
    activation hidden{activation_kind::tanh};
};

// Regression on a random teacher: x standard normal, y the teacher's forward
// pass in mp at `bits`. The teacher is multilayer_perceptron(input_dim,
// hidden_width, hidden_depth, hidden, output_dim) with every weight and bias
// a normal variate times 1 / sqrt(fan_in of its layer) (both rounded, then
// the product: within 1.5 ulps). Throws std::invalid_argument for a zero
// width.
dataset teacher_student(const teacher_student_spec& spec, std::uint64_t seed, int bits);

// That teacher, its parameters drawn, computing with `a` (an mp precision).
network<mp_float> teacher_network(const teacher_student_spec& spec, std::uint64_t seed, arithmetic<mp_float>& a);

// `classes` clusters in `input_dim` dimensions: sample i has label
// i mod classes (every class equally often, as scikit-learn's make_blobs
// before its shuffle) and x = centre + spread * standard normal; y is the
// one-hot row of the label. Throws std::invalid_argument for zero dimensions
// or classes, or a spread that is negative or not a number.
dataset gaussian_blobs(std::size_t samples, std::size_t input_dim, std::size_t classes, std::string_view spread,
                       std::uint64_t seed, int bits);

// The centres of gaussian_blobs: classes x input_dim, uniform in [-1, 1), exactly.
matrix<mp_float> blob_centres(std::size_t input_dim, std::size_t classes, std::uint64_t seed, int bits);

// Two interleaved spirals in the plane (Lang and Witbrock's benchmark): sample
// i has label c = i mod 2, r = sqrt(uniform) (evenly spread along the arm),
// angle t = 3 pi r (one and a half turns), and
//   x = (-1)^c r (cos t, sin t) + noise * (two standard normals),
// so the radius grows with the angle and arm 1 is arm 0 turned by pi.
// y is the label as a column of 0 and 1. Throws std::invalid_argument for a
// noise that is negative or not a number.
dataset two_spirals(std::size_t samples, std::string_view noise, std::uint64_t seed, int bits);

// The labels as numbers, in one column (at `bits`; exact when bits >= 63).
matrix<mp_float> label_values(const std::vector<std::int64_t>& labels, int bits);

// Each element of `data` rounded once, to nearest, to T's precision.
template <scalar_type T>
matrix<storage_t<T>> round_into(const matrix<mp_float>& data, const arithmetic<T>& a);

}  // namespace gradlab::nn
