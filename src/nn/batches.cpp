#include "gradlab/nn/batches.hpp"

#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "gradlab/scalar/counter_rng.hpp"

namespace gradlab::nn {

namespace {

constexpr std::uint64_t shuffle_streams = 0x5348'5546'0000'0000;  // "SHUF"

}  // namespace

void shuffled_order(std::uint64_t seed, std::uint64_t epoch, std::span<std::size_t> order) {
    if (order.size() >= counter_rng::max_index)
        throw std::out_of_range("shuffled_order: " + std::to_string(order.size()) + " samples are too many");
    std::iota(order.begin(), order.end(), std::size_t{0});
    const counter_rng rng(seed, shuffle_streams + epoch);
    for (std::size_t i = order.size(); i-- > 1;) {
        const auto words = rng.block(i);
        const std::uint64_t w = words[0] | (std::uint64_t{words[1]} << 32);
        const auto j = static_cast<std::size_t>((static_cast<unsigned __int128>(w) * (i + 1)) >> 64);
        std::swap(order[i], order[j]);
    }
}

std::size_t batch_count(std::size_t samples, const batch_options& options) {
    if (options.batch_size == 0) throw std::invalid_argument("mini-batches: the batch size must be positive");
    return options.drop_last ? samples / options.batch_size
                             : samples / options.batch_size + (samples % options.batch_size != 0);
}

}  // namespace gradlab::nn
