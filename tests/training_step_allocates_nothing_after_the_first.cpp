// After its first steps, a training step allocates nothing, in every precision
// family (issue 4): the layers' buffers and the kernels' per-thread scratch
// (packing buffers, reduction partials, MPFR temporaries) are reused.
//
// Allocations are counted two ways while a counting scope is open, on every
// thread: calls of the replaceable global operator new (every form, defined
// below for the whole test binary and forwarding to malloc), and GMP's
// allocate and reallocate functions, through which MPFR allocates
// significands (mp_set_memory_functions; the originals come back when the
// scope closes). Allocations inside libgomp and glibc (malloc) are not
// counted: they are not the engine's.
//
// One exception, MPFR's own: its transcendental functions (mpfr_exp and what
// is built on it: tanh, expm1, log1p, erfc, ...) allocate integer temporaries
// through GMP on every call (MPFR 4.2: about three per mpfr_tanh at 256
// bits), while its arithmetic (add, mul, div, sqrt, fma) allocates nothing.
// So mp is checked for zero GMP allocations with relu, and with tanh only
// while MPFR's tanh is seen to allocate nothing by itself.

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>
#include <gmp.h>
#include <mpfr.h>

#include "gradlab/nn/model_spec.hpp"
#include "gradlab/nn/trainer.hpp"
#include "gradlab/scalar/precision.hpp"

namespace {

std::atomic<bool> counting{false};
std::atomic<std::size_t> operator_new_calls{0}, gmp_allocations{0};

void* allocate(std::size_t size, std::size_t alignment, bool nothrow) {
    if (counting.load(std::memory_order_relaxed)) operator_new_calls.fetch_add(1, std::memory_order_relaxed);
    if (size == 0) size = 1;
    for (;;) {
        // aligned_alloc wants a multiple of the alignment
        void* p = alignment <= alignof(std::max_align_t)
                      ? std::malloc(size)
                      : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
        if (p != nullptr) return p;
        const std::new_handler handler = std::get_new_handler();
        if (handler == nullptr) {
            if (nothrow) return nullptr;
            throw std::bad_alloc();
        }
        handler();
    }
}

void* allocate(std::size_t size, std::align_val_t alignment, bool nothrow) {
    return allocate(size, static_cast<std::size_t>(alignment), nothrow);
}

void* (*gmp_allocate)(std::size_t) = nullptr;
void* (*gmp_reallocate)(void*, std::size_t, std::size_t) = nullptr;
void (*gmp_free)(void*, std::size_t) = nullptr;

void* counted_gmp_allocate(std::size_t size) {
    if (counting.load(std::memory_order_relaxed)) gmp_allocations.fetch_add(1, std::memory_order_relaxed);
    return gmp_allocate(size);
}

void* counted_gmp_reallocate(void* p, std::size_t old_size, std::size_t new_size) {
    if (counting.load(std::memory_order_relaxed)) gmp_allocations.fetch_add(1, std::memory_order_relaxed);
    return gmp_reallocate(p, old_size, new_size);
}

void counted_gmp_free(void* p, std::size_t size) { gmp_free(p, size); }

struct allocation_counts {
    std::size_t operator_new = 0, gmp = 0;
};

// Counts allocations on every thread from construction to stop().
class allocation_counter {
public:
    allocation_counter() {
        mp_get_memory_functions(&gmp_allocate, &gmp_reallocate, &gmp_free);
        mp_set_memory_functions(counted_gmp_allocate, counted_gmp_reallocate, counted_gmp_free);
        operator_new_calls = 0;
        gmp_allocations = 0;
        counting = true;
    }
    ~allocation_counter() { stop(); }
    allocation_counter(const allocation_counter&) = delete;
    allocation_counter& operator=(const allocation_counter&) = delete;

    allocation_counts stop() {
        if (counting.exchange(false)) mp_set_memory_functions(gmp_allocate, gmp_reallocate, gmp_free);
        return {operator_new_calls.load(), gmp_allocations.load()};
    }
};

// Keeps the compiler from removing an allocation whose result is unused.
void escape(const void* p) { asm volatile("" : : "g"(p) : "memory"); }

}  // namespace

// The replaceable global allocation functions (C++20 [new.delete]), every one.
void* operator new(std::size_t size) { return allocate(size, 0, false); }
void* operator new[](std::size_t size) { return allocate(size, 0, false); }
void* operator new(std::size_t size, std::align_val_t a) { return allocate(size, a, false); }
void* operator new[](std::size_t size, std::align_val_t a) { return allocate(size, a, false); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate(size, 0, true); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate(size, 0, true); }
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(size, a, true);
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(size, a, true);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

using namespace gradlab;
using namespace gradlab::nn;

namespace {

struct training_shape {
    std::size_t inputs, width, depth, outputs, batch;
    std::string what;
};

const std::vector<activation_kind> hidden_activations = {activation_kind::tanh, activation_kind::relu};

const std::vector<training_shape> shapes = {
    {8, 16, 3, 4, 12, "small MLP (8, 16 x 3, 4), batch 12"},
    // GEMMs above every threading threshold, and an MSE sum over 5120
    // elements: two reduction blocks, so the partials are used.
    {8, 64, 2, 40, 128, "wider MLP (8, 64 x 2, 40), batch 128: threaded GEMMs, two reduction blocks"},
};

// rows x cols values (k mod 11 - 5) / d, k = 7 (index) + offset: small, of
// both signs, not all alike.
template <class T>
matrix<storage_t<T>> pattern(const arithmetic<T>& a, std::size_t rows, std::size_t cols, long offset, long d) {
    auto m = a.matrix_of(rows, cols);
    auto e = m.elements();
    for (std::size_t i = 0; i < e.size(); ++i)
        e[i] = a.ratio(static_cast<long>((7 * i + static_cast<std::size_t>(offset)) % 11) - 5, d);
    return m;
}

// Allocations in three training steps after two warm-up steps.
template <class T>
allocation_counts counted_steps(const std::string& precision_name, const training_shape& s, activation_kind hidden) {
    arithmetic<T> a(parse_precision(precision_name), 42);
    training_spec training;  // MSE, SGD
    training.loss = loss_kind::mse;
    training.optimizer.kind = optimizer_kind::sgd;
    trainer<T> t(multilayer_perceptron(s.inputs, s.width, s.depth, {hidden}, s.outputs), training, a);
    long offset = 0;
    for (auto* p : t.model().parameters()) {
        auto e = p->value.elements();
        const auto values = pattern(a, 1, e.size(), offset++, 40);
        a.copy(values.elements(), e);
    }
    const auto x = pattern(a, s.batch, s.inputs, 3, 4);
    const auto y = pattern(a, s.batch, s.outputs, 5, 8);
    for (int step = 0; step < 2; ++step) t.step(x, {y, {}});

    allocation_counter counter;
    for (int step = 0; step < 3; ++step) t.step(x, {y, {}});
    const allocation_counts counts = counter.stop();

    INFO(precision_name << ", " << activation_name(hidden) << ", " << s.what);
    REQUIRE(t.steps_taken() == 5);
    REQUIRE(arithmetic<T>::is_finite(t.evaluate(x, {y, {}})));
    return counts;
}

// Whether mpfr_tanh at 256 bits, warmed up, still allocates through GMP.
bool mpfr_tanh_allocates() {
    mpfr_t x, y;
    mpfr_inits2(256, x, y, static_cast<mpfr_ptr>(nullptr));
    allocation_counts counts;
    for (int round = 0; round < 2; ++round) {
        allocation_counter counter;
        for (int i = -8; i <= 8; ++i) {
            mpfr_set_si_2exp(x, i, -2, MPFR_RNDN);
            mpfr_tanh(y, x, MPFR_RNDN);
        }
        counts = counter.stop();
    }
    mpfr_clears(x, y, static_cast<mpfr_ptr>(nullptr));
    return counts.gmp > 0;
}

template <class T>
void require_no_allocations(const std::string& precision_name) {
    for (const activation_kind hidden : hidden_activations) {
        for (const auto& s : shapes) {
            const allocation_counts counts = counted_steps<T>(precision_name, s, hidden);
            INFO(precision_name << ", " << activation_name(hidden) << ", " << s.what << ": " << counts.operator_new
                                << " operator new calls, " << counts.gmp << " GMP allocations in three steps");
            CHECK(counts.operator_new == 0);
            if (std::is_same_v<T, mp_float> && hidden == activation_kind::tanh && mpfr_tanh_allocates()) continue;
            CHECK(counts.gmp == 0);
        }
    }
}

}  // namespace

TEST_CASE("allocation counter: counts operator new and MPFR allocations on every path, and nothing else",
          "[memory]") {
    SECTION("an empty scope counts nothing") {
        allocation_counter counter;
        const auto counts = counter.stop();
        CHECK(counts.operator_new == 0);
        CHECK(counts.gmp == 0);
    }
    SECTION("a std::vector counts one operator new") {
        allocation_counter counter;
        {
            std::vector<double> v(100);
            escape(v.data());
        }
        const auto counts = counter.stop();
        CHECK(counts.operator_new == 1);
        CHECK(counts.gmp == 0);
    }
    SECTION("an over-aligned nothrow new counts one operator new") {
        allocation_counter counter;
        void* p = ::operator new(1000, std::align_val_t{64}, std::nothrow);
        escape(p);
        ::operator delete(p, std::align_val_t{64});
        const auto counts = counter.stop();
        CHECK(counts.operator_new == 1);
    }
    SECTION("mpfr_init2 and mpfr_set_prec above the allocation count GMP allocations") {
        mpfr_t x;
        allocation_counter counter;
        mpfr_init2(x, 256);
        mpfr_set_prec(x, 128);  // within the allocation
        const auto after_init = counter.stop();
        CHECK(after_init.gmp == 1);
        CHECK(after_init.operator_new == 0);
        allocation_counter grow;
        mpfr_set_prec(x, 4096);
        CHECK(grow.stop().gmp == 1);
        mpfr_clear(x);
    }
    SECTION("MPFR's arithmetic at 256 bits allocates nothing") {
        mpfr_t x, y;
        mpfr_inits2(256, x, y, static_cast<mpfr_ptr>(nullptr));
        mpfr_set_si_2exp(x, 3, -2, MPFR_RNDN);
        allocation_counter counter;
        mpfr_add(y, x, x, MPFR_RNDN);
        mpfr_mul(y, y, x, MPFR_RNDN);
        mpfr_div(y, y, x, MPFR_RNDN);
        mpfr_sqrt(y, y, MPFR_RNDN);
        mpfr_fma(y, y, x, x, MPFR_RNDN);
        CHECK(counter.stop().gmp == 0);
        mpfr_clears(x, y, static_cast<mpfr_ptr>(nullptr));
    }
    SECTION("GMP's own functions are back after the scope") {
        void* (*allocate_function)(std::size_t) = nullptr;
        { allocation_counter counter; }
        mp_get_memory_functions(&allocate_function, nullptr, nullptr);
        CHECK(allocate_function != counted_gmp_allocate);
    }
}

TEST_CASE("training step: after two warm-up steps, three more allocate nothing, in every family (tanh and relu MLPs)",
          "[memory]") {
    SECTION("fp32") { require_no_allocations<float>("fp32"); }
    SECTION("fp64") { require_no_allocations<double>("fp64"); }
    SECTION("f128") { require_no_allocations<float128>("f128"); }
    SECTION("mp256") { require_no_allocations<mp_float>("mp256"); }
    SECTION("bf16") { require_no_allocations<emulated_float>("bf16"); }
    SECTION("bf16 with stochastic rounding") { require_no_allocations<emulated_float>("bf16/sr"); }
    SECTION("fp16 with fp32 accumulation") { require_no_allocations<emulated_float>("fp16+acc32"); }
}
