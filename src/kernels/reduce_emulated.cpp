// The sum in an emulated format: the fixed blocking of
// kernels/reduce_blocking.hpp with every addition rounded to the format.

#include <cstdint>
#include <optional>
#include <stdexcept>

#include "blocked_reduction.hpp"
#include "round_to_odd.hpp"
#include "gradlab/kernels/reduce.hpp"
#include "gradlab/platform/gradual_underflow_scope.hpp"

namespace gradlab {

using namespace kernels_detail;

float sum(std::span<const float> x, const float_format& format, rounding_mode mode,
          const std::optional<sr_stream>& stream) {
    if (!format.fits_in_float())
        throw std::invalid_argument("sum: " + format.name + " has values that are not binary32 values");
    if (mode == rounding_mode::stochastic && !stream)
        throw std::invalid_argument("sum: stochastic rounding needs an sr_stream (one per tensor and step)");
    const sr_stream sr = stream.value_or(sr_stream{});
    const gradual_underflow_scope exact_subnormals;  // bf16's subnormals are float subnormals
    const std::size_t n = x.size();
    // One addition, rounded to the format; `index` picks its random bits.
    const bool stochastic = mode == rounding_mode::stochastic;
    const auto add = [&](float a, float b, std::uint64_t index) {
        const std::uint32_t random = stochastic ? sr.bits(sr.offset + index) : 0;
        return static_cast<float>(round_to_format(add_round_to_odd(a, b, mode), format, mode, random));
    };
    std::uint64_t block_tree_index = n + block_count(n) * (reduce_lanes - 1);
    // Scalar code: threads pay off from two blocks on.
    return reduce_blocks(
        n, 0.0f, 2,
        [&](std::size_t begin, std::size_t size) {
            float lanes[reduce_lanes] = {};
            for (std::size_t i = 0; i < size; ++i) {
                float& lane = lanes[i % reduce_lanes];
                lane = add(lane, x[begin + i], begin + i);
            }
            std::uint64_t index = n + (begin / reduce_block_size) * (reduce_lanes - 1);
            for_each_tree_addition(reduce_lanes, [&](std::size_t i, std::size_t j) {
                lanes[i] = add(lanes[i], lanes[j], index++);
            });
            return lanes[0];
        },
        [&](float& into, const float& from) { into = add(into, from, block_tree_index++); });
}

}  // namespace gradlab
