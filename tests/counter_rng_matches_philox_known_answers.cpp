// counter_rng's blocks against the published Philox4x32-10 known answers, and
// its refusal of indices and precisions beyond its slots.

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <stdexcept>

#include "gradlab/scalar/counter_rng.hpp"
#include "support/mp_values.hpp"

using namespace gradlab;
using test::mp;

// Random123's kat_vectors for philox4x32_10: counter words, key words, output.
// counter_rng takes counter = {lo32(index), hi32(index), lo32(stream), hi32(stream)}
// and key = {lo32(seed), hi32(seed)}, so each vector is one (seed, stream, index).
TEST_CASE("philox4x32_10 blocks match the Random123 known answers", "[scalar][rng]") {
    using words = std::array<std::uint32_t, 4>;

    // counter 00000000 x4, key 00000000 00000000
    CHECK(counter_rng(0, 0).block(0) == words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});

    // counter ffffffff x4, key ffffffff ffffffff
    CHECK(counter_rng(~std::uint64_t{0}, ~std::uint64_t{0}).block(~std::uint64_t{0}) ==
          words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});

    // counter 243f6a88 85a308d3 13198a2e 03707344, key a4093822 299f31d0 (digits of pi)
    CHECK(counter_rng(0x299f31d0a4093822, 0x0370734413198a2e).block(0x85a308d3243f6a88) ==
          words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("counter_rng rejects indices and precisions beyond its slots", "[scalar][rng]") {
    const counter_rng rng(1);
    mp x(64), huge(counter_rng::max_bits + 1);
    CHECK_THROWS_AS(rng.uniform(x.v, counter_rng::max_index), std::out_of_range);
    CHECK_THROWS_AS(rng.normal(x.v, counter_rng::max_index), std::out_of_range);
    CHECK_THROWS_AS(rng.uniform(huge.v, 0), std::out_of_range);
    CHECK_NOTHROW(rng.uniform(x.v, counter_rng::max_index - 1));
}
