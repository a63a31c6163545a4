#pragma once
// Counts GMP's (and so MPFR's) allocations while alive, on every thread,
// forwarding to the functions installed before, which come back at the end.
// Open it only while no other thread uses GMP.

#include <cstddef>

#include <gmp.h>

namespace gradlab::test {

class gmp_allocation_counter {
public:
    gmp_allocation_counter() {
        mp_get_memory_functions(&allocate_, &reallocate_, &free_);
        mp_set_memory_functions(&counted_allocate, &counted_reallocate, free_);
        count_ = 0;
    }
    ~gmp_allocation_counter() { mp_set_memory_functions(allocate_, reallocate_, free_); }
    gmp_allocation_counter(const gmp_allocation_counter&) = delete;
    gmp_allocation_counter& operator=(const gmp_allocation_counter&) = delete;

    long count() const { return count_; }

private:
    static void* counted_allocate(std::size_t size) {
        ++count_;
        return allocate_(size);
    }
    static void* counted_reallocate(void* p, std::size_t old_size, std::size_t new_size) {
        ++count_;
        return reallocate_(p, old_size, new_size);
    }
    static inline long count_ = 0;
    static inline void* (*allocate_)(std::size_t) = nullptr;
    static inline void* (*reallocate_)(void*, std::size_t, std::size_t) = nullptr;
    static inline void (*free_)(void*, std::size_t) = nullptr;
};

}  // namespace gradlab::test
