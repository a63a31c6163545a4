#pragma once
// Initial parameter values with torch.nn.init's definitions, computed once in
// MPFR at the run's highest precision (`bits`: 53 when fp64 is the highest)
// and then rounded once into each precision (DESIGN.md: no double rounding).
//
// Weights of shape (out, in), with g the gain of the activation that follows
// the layer and m the global multiplier:
//   xavier_uniform  U(-b, b), b = m g sqrt(6 / (fan_in + fan_out))
//   xavier_normal   N(0, s^2), s = m g sqrt(2 / (fan_in + fan_out))
//   he_uniform      U(-b, b), b = m g sqrt(3 / fan)   (kaiming_uniform_; fan = fan_in or fan_out)
//   he_normal       N(0, s^2), s = m g / sqrt(fan)    (kaiming_normal_)
//   lecun_normal    N(0, s^2), s = m / sqrt(fan_in)   (LeCun 1998: no gain, no mode; not truncated)
//   orthogonal      m g Q, Q of the QR decomposition of the standard normal
//                   matrix that `normal` (mean 0, std 1) draws with the same
//                   seed: orthonormal rows when out <= in, else columns; R's
//                   diagonal positive, as orthogonal_'s sign correction makes it
//   uniform         m U(low, high)
//   normal          m N(mean, std^2)
// torch's kaiming_* default to the gain of leaky_relu with slope 0 (sqrt 2);
// here the gain is always that of the next activation, so he_* before the
// output layer's identity have gain 1. The multiplier scales weights only.
// Biases take the constant `bias`; norm scales 1, norm shifts 0; PReLU slopes
// their initial value (the activation's parameter).
//
// Random numbers: parameter k (in network order) draws from
// counter_rng(seed, init_stream_base + k), its element e (row-major) being
// variate e: values depend only on the seed and the layout, never on the
// thread count. Uniform values are one fused multiply-add of an exact
// uniform, rounded once at `bits`; normal ones are rounded twice (counter_rng's
// fill_normal); constants (bounds, std, gain) are computed at bits + 64 first.
// Orthogonal's QR is classical Gram-Schmidt applied twice ("twice is
// enough": orthogonal to working precision) at bits + 64, rounded once after
// the gain is applied: W W^T (or W^T W) = g^2 m^2 I within a few n 2^-bits.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/nn/layer.hpp"
#include "gradlab/nn/network.hpp"

namespace gradlab::nn {

enum class init_scheme {
    xavier_uniform,
    xavier_normal,
    he_uniform,
    he_normal,
    lecun_normal,
    orthogonal,
    uniform,
    normal,
};
enum class fan_mode { fan_in, fan_out };

// "he_uniform" and "he_normal" are also read as "kaiming_uniform" and "kaiming_normal".
std::string_view init_scheme_name(init_scheme scheme);
init_scheme parse_init_scheme(std::string_view name);
std::string_view fan_mode_name(fan_mode mode);
fan_mode parse_fan_mode(std::string_view name);

// How to initialise; real numbers are decimal text, read at bits + 64.
struct init_spec {
    init_scheme scheme = init_scheme::xavier_uniform;
    fan_mode mode = fan_mode::fan_in;  // he_uniform, he_normal
    std::string multiplier = "1";      // below 1 provokes vanishing signals, above 1 exploding ones
    std::string low = "-0.05", high = "0.05";               // uniform
    std::string mean = "0", standard_deviation = "0.01";    // normal
    std::string bias = "0";
    bool operator==(const init_spec&) const = default;
};

// The gain of torch.nn.init.calculate_gain for the activation f, at `bits`:
// identity, sigmoid 1; tanh 5/3; relu sqrt 2; leaky_relu sqrt(2 / (1 + s^2)),
// s its negative slope. calculate_gain rejects the others; prelu takes
// leaky_relu's gain at its initial slope (He et al. 2015 derived it for PReLU,
// and kaiming_*'s `a` is that slope), elu, gelu and softplus 1 (torch's
// fallback for functions without a recommended gain). 5/3 and sqrt 2 are
// correctly rounded; the leaky gain is within 0.5 ulp + 2^-60 ulp.
mp_float activation_gain(const activation& f, int bits);

// What initialisation needs of a parameter: the parameter list of a network,
// without its values.
struct parameter_layout {
    std::string name;
    parameter_role role = parameter_role::weight;
    std::size_t rows = 0, cols = 0;
    std::size_t fan_in = 0, fan_out = 0;  // weights
    activation next_activation{};         // weights
    mp_float slope;                       // slopes: the initial value, exactly as the network holds it
};

template <scalar_type T>
std::vector<parameter_layout> parameter_layouts(const network<T>& net);

// The first counter_rng stream of initialisation ("init" in ASCII, shifted
// past the 2^32 streams a data set may use).
inline constexpr std::uint64_t init_stream_base = std::uint64_t{0x696e6974} << 32;

// Initial values of every parameter of `layout`, in its order, as matrices of
// `bits`-bit MPFR values. Throws std::invalid_argument for an unreadable
// setting, one invalid for the scheme (uniform's low > high, normal's
// negative std), bits below 2 or a weight with a zero fan, naming them.
std::vector<matrix<mp_float>> initial_parameters(const std::vector<parameter_layout>& layout, const init_spec& spec,
                                                 std::uint64_t seed, int bits);

// Sets every parameter of `net` to `values` (from initial_parameters for
// this network's layout) rounded once to net's precision. Throws
// std::invalid_argument when the count or a shape differs, naming it.
template <scalar_type T>
void load_parameters(network<T>& net, const std::vector<matrix<mp_float>>& values);

}  // namespace gradlab::nn
