#pragma once
// An array that grows to the largest size asked of it and is never shrunk.
// Declared thread_local in a kernel, it is that thread's scratch: allocated by
// the first calls, reused by every later one (OpenMP's worker threads persist
// between parallel regions, and their buffers with them), so that a training
// step allocates nothing after its first. Elements are 64-byte aligned, as
// matrix rows are, for the SIMD kernels' aligned loads.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <type_traits>

namespace gradlab::kernels_detail {

template <class T>
class growable_buffer {
    static_assert(std::is_nothrow_default_constructible_v<T> && std::is_nothrow_destructible_v<T>);

public:
    growable_buffer() = default;
    ~growable_buffer() { release(); }
    growable_buffer(const growable_buffer&) = delete;
    growable_buffer& operator=(const growable_buffer&) = delete;

    // The first `count` elements. Growing reallocates: the earlier contents
    // are lost and every element is value-initialised.
    std::span<T> first(std::size_t count) {
        if (count > capacity_) {
            T* grown = static_cast<T*>(::operator new(count * sizeof(T), alignment));
            std::uninitialized_value_construct_n(grown, count);
            release();
            data_ = grown;
            capacity_ = count;
        }
        return {data_, count};
    }

    std::size_t capacity() const { return capacity_; }

private:
    static constexpr std::align_val_t alignment{std::max<std::size_t>(64, alignof(T))};

    void release() noexcept {
        if (data_ == nullptr) return;
        std::destroy_n(data_, capacity_);
        ::operator delete(data_, alignment);
    }

    T* data_ = nullptr;
    std::size_t capacity_ = 0;
};

}  // namespace gradlab::kernels_detail
