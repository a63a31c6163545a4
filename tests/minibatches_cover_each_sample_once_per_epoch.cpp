// Seeded mini-batches: each epoch's order is a permutation, reproducible from
// (seed, epoch), different across epochs and seeds, uniform over the n!
// orders (a chi-square test on n = 3), drawn from the documented stream; the
// batches of an epoch cover every sample once, the last one short unless
// dropped; and the batch buffers never move after construction.

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/nn/batches.hpp"
#include "gradlab/scalar/counter_rng.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

std::vector<std::size_t> order_of(std::uint64_t seed, std::uint64_t epoch, std::size_t n) {
    std::vector<std::size_t> order(n);
    shuffled_order(seed, epoch, order);
    return order;
}

// x(i, j) = 10 i + j, y(i, 0) = -i, label i mod 3: each row says which sample it is.
struct numbered_data {
    matrix<double> x, y;
    std::vector<std::int64_t> labels;

    explicit numbered_data(std::size_t n) : x(n, 3), y(n, 1) {
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < 3; ++j) x(i, j) = 10.0 * i + j;
            y(i, 0) = -static_cast<double>(i);
            labels.push_back(static_cast<std::int64_t>(i % 3));
        }
    }
};

}  // namespace

TEST_CASE("mini-batches: each epoch's order is a permutation, reproducible, new each epoch", "[nn][data]") {
    for (const std::size_t n : {0, 1, 2, 7, 100, 1000}) {
        INFO(n << " samples");
        const auto order = order_of(1, 0, n);
        auto sorted = order;
        std::sort(sorted.begin(), sorted.end());
        std::vector<std::size_t> identity(n);
        std::iota(identity.begin(), identity.end(), std::size_t{0});
        CHECK(sorted == identity);
        CHECK(order_of(1, 0, n) == order);
        if (n >= 7) {  // equal by chance with probability 1/n! at most
            CHECK(order_of(1, 1, n) != order);
            CHECK(order_of(2, 0, n) != order);
            CHECK(order != identity);
        }
    }
}

TEST_CASE("mini-batches: orders are uniform over the permutations", "[nn][data]") {
    // 6000 epochs of 3 samples: each of the 6 orders expected 1000 times. The
    // chi-square statistic (5 degrees of freedom) exceeds 20.5 with
    // probability 0.001; an off-by-one in the swap range (Sattolo's
    // algorithm, or j < i) reaches only some orders and fails by thousands.
    std::map<std::vector<std::size_t>, int> counts;
    const int epochs = 6000;
    for (int e = 0; e < epochs; ++e) ++counts[order_of(99, static_cast<std::uint64_t>(e), 3)];
    double chi_square = 0;
    for (const auto& [order, count] : counts) chi_square += (count - 1000.0) * (count - 1000.0) / 1000.0;
    INFO("chi-square " << chi_square << " over " << counts.size() << " orders");
    CHECK(counts.size() == 6);
    CHECK(chi_square < 20.5);
}

TEST_CASE("mini-batches: the order follows the documented stream", "[nn][data]") {
    // With two samples the one draw is j = floor(2 w / 2^64): a swap exactly
    // when w < 2^63, that is when word 1 of block 1 is below 2^31.
    for (std::uint64_t epoch = 0; epoch < 64; ++epoch) {
        const auto words = counter_rng(5, 0x5348'5546'0000'0000 + epoch).block(1);
        const bool swapped = words[1] < (std::uint32_t{1} << 31);
        CHECK(order_of(5, epoch, 2) == (swapped ? std::vector<std::size_t>{1, 0} : std::vector<std::size_t>{0, 1}));
    }
}

TEST_CASE("mini-batches: the batches of an epoch hold each sample once, the last one short", "[nn][data]") {
    const numbered_data data(10);
    arithmetic<double> a(parse_precision("fp64"));

    SECTION("kept short last batch") {
        batcher<double> batches(data.x, data.y, data.labels, {.batch_size = 4}, 3, a);
        REQUIRE(batches.batch_count() == 3);
        for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
            batches.start_epoch(epoch);
            CHECK(std::vector<std::size_t>(batches.order().begin(), batches.order().end()) == order_of(3, epoch, 10));
            std::vector<std::size_t> seen;
            for (std::size_t b = 0; b < batches.batch_count(); ++b) {
                const auto batch = batches.batch(b);
                CHECK(batch.x.rows() == (b < 2 ? 4u : 2u));
                CHECK(batch.y.rows() == batch.x.rows());
                CHECK(batch.labels.size() == batch.x.rows());
                REQUIRE(batch.indices.size() == batch.x.rows());
                for (std::size_t k = 0; k < batch.x.rows(); ++k) {
                    const std::size_t i = batch.indices[k];
                    for (std::size_t j = 0; j < 3; ++j) CHECK(batch.x(k, j) == data.x(i, j));
                    CHECK(batch.y(k, 0) == data.y(i, 0));
                    CHECK(batch.labels[k] == data.labels[i]);
                    seen.push_back(i);
                }
            }
            CHECK(seen == order_of(3, epoch, 10));
        }
        CHECK_THROWS_AS(batches.batch(3), std::out_of_range);
    }
    SECTION("dropped short last batch") {
        batcher<double> batches(data.x, data.y, data.labels, {.batch_size = 4, .drop_last = true}, 3, a);
        REQUIRE(batches.batch_count() == 2);
        CHECK(batches.batch(1).x.rows() == 4);
        CHECK_THROWS_AS(batches.batch(2), std::out_of_range);
    }
    SECTION("edge sizes") {
        CHECK(batch_count(10, {.batch_size = 10}) == 1);
        CHECK(batch_count(10, {.batch_size = 11}) == 1);
        CHECK(batch_count(10, {.batch_size = 11, .drop_last = true}) == 0);
        CHECK(batch_count(0, {.batch_size = 4}) == 0);
        CHECK(batch_count(1, {.batch_size = 1}) == 1);
        CHECK_THROWS_AS(batch_count(10, {.batch_size = 0}), std::invalid_argument);

        batcher<double> whole(data.x, data.y, data.labels, {.batch_size = 64}, 3, a);
        REQUIRE(whole.batch_count() == 1);
        CHECK(whole.batch(0).x.rows() == 10);

        const numbered_data none(0);
        batcher<double> empty(none.x, none.y, none.labels, {.batch_size = 4}, 3, a);
        CHECK(empty.batch_count() == 0);

        batcher<double> unlabelled(data.x, data.y, {}, {.batch_size = 4}, 3, a);
        CHECK(unlabelled.batch(0).labels.empty());

        const numbered_data other(9);
        CHECK_THROWS_AS(batcher<double>(data.x, other.y, data.labels, {.batch_size = 4}, 3, a), std::invalid_argument);
        CHECK_THROWS_AS(batcher<double>(data.x, data.y, other.labels, {.batch_size = 4}, 3, a), std::invalid_argument);
    }
}

TEST_CASE("mini-batches: the buffers are made once and never move", "[nn][data]") {
    const numbered_data data(10);
    arithmetic<double> a(parse_precision("fp64"));
    batcher<double> batches(data.x, data.y, data.labels, {.batch_size = 4}, 8, a);
    const auto first = batches.batch(0);
    for (std::uint64_t epoch = 0; epoch < 4; ++epoch) {
        batches.start_epoch(epoch);
        for (std::size_t b = 0; b < batches.batch_count(); ++b) {
            const auto batch = batches.batch(b);
            CHECK(batch.x.data() == first.x.data());
            CHECK(batch.y.data() == first.y.data());
            CHECK(batch.labels.data() == first.labels.data());
        }
    }

    // mp: the rows are copied into buffers of the precision's bits, which keep
    // their storage (and their limbs) from batch to batch.
    arithmetic<mp_float> mp(parse_precision("mp100"));
    matrix<mp_float> x(7, 2, element_precision{100}), y(7, 1, element_precision{100});
    for (std::size_t i = 0; i < 7; ++i) {
        mpfr_set_ui(x(i, 0).backend().data(), i, MPFR_RNDN);
        mpfr_set_ui(x(i, 1).backend().data(), 3, MPFR_RNDN);
        mpfr_div_ui(x(i, 1).backend().data(), x(i, 1).backend().data(), 7, MPFR_RNDN);
    }
    batcher<mp_float> mp_batches(x, y, {}, {.batch_size = 3}, 8, mp);
    const auto mp_first = mp_batches.batch(0);
    const auto* limbs = mp_first.x(0, 1).backend().data()->_mpfr_d;
    for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
        mp_batches.start_epoch(epoch);
        for (std::size_t b = 0; b < mp_batches.batch_count(); ++b) {
            const auto batch = mp_batches.batch(b);
            CHECK(batch.x.data() == mp_first.x.data());
            CHECK(batch.x(0, 1).backend().data()->_mpfr_d == limbs);
            for (std::size_t k = 0; k < batch.x.rows(); ++k) {
                CHECK(mpfr_get_prec(batch.x(k, 1).backend().data()) == 100);
                CHECK(mpfr_equal_p(batch.x(k, 0).backend().data(), x(batch.indices[k], 0).backend().data()));
                CHECK(mpfr_equal_p(batch.x(k, 1).backend().data(), x(batch.indices[k], 1).backend().data()));
            }
        }
    }
}
