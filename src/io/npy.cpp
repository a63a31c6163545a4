#include "gradlab/io/npy.hpp"

#include "gradlab/io/atomic_file.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>


namespace gradlab::io {

namespace {

constexpr unsigned char npy_magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::string_view supported_dtypes = "<f4, <f8, <i4, <i8";

[[noreturn]] void fail(const std::string& source, const std::string& what) {
    throw npy_error("npy file '" + source + "': " + what);
}

std::size_t item_bytes(npy_dtype dtype) {
    return dtype == npy_dtype::f4 || dtype == npy_dtype::i4 ? 4 : 8;
}

// The unsigned little-endian integer in bytes [first, first + count).
std::uint64_t little_endian(const unsigned char* first, std::size_t count) {
    std::uint64_t v = 0;
    for (std::size_t i = count; i-- > 0;) v = (v << 8) | first[i];
    return v;
}

struct header_fields {
    npy_dtype dtype;
    std::vector<std::size_t> shape;
};

// The header is a Python dict literal, as numpy writes it:
//   {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
// This reads that grammar (keys in any order, either quote, free whitespace,
// optional trailing commas) and nothing more: no escapes, no expressions.
class header_reader {
public:
    header_reader(std::string_view text, const std::string& source) : text_(text), source_(source) {}

    header_fields read() {
        expect('{', "the header dict to open with '{'");
        std::optional<npy_dtype> dtype;
        std::optional<bool> fortran_order;
        std::optional<std::vector<std::size_t>> shape;
        while (!take('}')) {
            const std::size_t key_at = pos_;
            const std::string key = string_literal("a key");
            expect(':', "':' after the key '" + key + "'");
            if (key == "descr" && !dtype) dtype = descr();
            else if (key == "fortran_order" && !fortran_order) fortran_order = boolean();
            else if (key == "shape" && !shape) shape = shape_tuple();
            else fail_at(key_at, "unexpected or repeated key '" + key + "'");
            if (!take(',')) {
                expect('}', "',' or '}' after the value of '" + key + "'");
                break;
            }
        }
        skip_space();
        if (pos_ != text_.size()) fail_at(pos_, "text after the header dict");
        if (!dtype || !fortran_order || !shape) fail(source_, "the header lacks 'descr', 'fortran_order' or 'shape'");
        if (*fortran_order)
            fail(source_, "Fortran-order arrays are not supported; save a C-order array (np.ascontiguousarray)");
        if (shape->size() == 0 || shape->size() > 2)
            fail(source_, "a " + std::to_string(shape->size()) +
                              "-d array is not supported; arrays must have 1 or 2 dimensions");
        return {*dtype, std::move(*shape)};
    }

private:
    [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
        fail(source_, "malformed header at character " + std::to_string(at) + ": " + what);
    }

    void skip_space() {
        const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
        while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    }

    bool take(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    void expect(char c, const std::string& what) {
        if (!take(c)) fail_at(pos_, "expected " + what);
    }

    std::string string_literal(const std::string& what) {
        skip_space();
        if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail_at(pos_, "expected " + what);
        const char quote = text_[pos_++];
        const std::size_t end = text_.find(quote, pos_);
        if (end == std::string_view::npos) fail_at(pos_, "unterminated string");
        const std::string_view s = text_.substr(pos_, end - pos_);
        for (const char c : s)
            if (c < ' ' || c > '~' || c == '\\') fail_at(pos_, "a string with escapes or non-printable characters");
        pos_ = end + 1;
        return std::string(s);
    }

    npy_dtype descr() {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == '[')
            fail(source_, "structured dtypes are not supported; the dtype must be one of " +
                              std::string(supported_dtypes));
        const std::string d = string_literal("the descr string");
        for (const npy_dtype t : {npy_dtype::f4, npy_dtype::f8, npy_dtype::i4, npy_dtype::i8})
            if (d == npy_descr(t)) return t;
        if (d.find('O') != std::string::npos) fail(source_, "object arrays ('" + d + "') are not supported");
        if (!d.empty() && d[0] == '>')
            fail(source_, "big-endian dtype '" + d + "' is not supported; only little-endian " +
                              std::string(supported_dtypes));
        fail(source_, "dtype '" + d + "' is not supported; only " + std::string(supported_dtypes));
    }

    bool boolean() {
        skip_space();
        for (const auto& [word, value] : {std::pair{std::string_view("True"), true}, {"False", false}})
            if (text_.substr(pos_, word.size()) == word) {
                pos_ += word.size();
                return value;
            }
        fail_at(pos_, "expected True or False");
    }

    // (), (n,), (n, m), ... as a Python tuple: a single element needs its comma.
    std::vector<std::size_t> shape_tuple() {
        expect('(', "a shape tuple");
        std::vector<std::size_t> dims;
        bool comma_after_last = false;
        while (!take(')')) {
            if (!dims.empty() && !comma_after_last) fail_at(pos_, "expected ',' or ')' in the shape");
            dims.push_back(dimension());
            comma_after_last = take(',');
        }
        if (dims.size() == 1 && !comma_after_last) fail_at(pos_, "a one-element shape needs its comma: (n,)");
        return dims;
    }

    std::size_t dimension() {
        skip_space();
        const std::size_t first = pos_;
        std::size_t n = 0;
        for (; pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; ++pos_) {
            const auto digit = static_cast<std::size_t>(text_[pos_] - '0');
            if (n > (std::numeric_limits<std::size_t>::max() - digit) / 10)
                fail_at(first, "a dimension too large for this machine");
            n = n * 10 + digit;
        }
        if (pos_ == first) fail_at(pos_, "expected a non-negative integer dimension");
        return n;
    }

    std::string_view text_;
    const std::string& source_;
    std::size_t pos_ = 0;
};

// Values of `count` items of `dtype` from `data`, little-endian, exactly.
template <class Out>
std::vector<Out> decode(const unsigned char* data, std::size_t count, npy_dtype dtype) {
    std::vector<Out> out(count);
    const std::size_t size = item_bytes(dtype);
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint64_t bits = little_endian(data + i * size, size);
        switch (dtype) {
            case npy_dtype::f4:
                out[i] = static_cast<Out>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
                break;
            case npy_dtype::f8:
                out[i] = static_cast<Out>(std::bit_cast<double>(bits));
                break;
            case npy_dtype::i4:
                out[i] = static_cast<Out>(std::bit_cast<std::int32_t>(static_cast<std::uint32_t>(bits)));
                break;
            case npy_dtype::i8:
                out[i] = static_cast<Out>(std::bit_cast<std::int64_t>(bits));
                break;
        }
    }
    return out;
}

// A shape as Python prints it: (3,), (2, 3).
std::string shape_text(std::span<const std::size_t> shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + (shape.size() == 1 ? ",)" : ")");
}

std::size_t element_count(std::span<const std::size_t> shape, const std::string& source) {
    std::size_t count = 1;
    for (const std::size_t d : shape) {
        if (d != 0 && count > std::numeric_limits<std::size_t>::max() / d)
            fail(source, "the shape holds more elements than this machine can count");
        count *= d;
    }
    return count;
}

// numpy 1.24's header for a C-order array: the dict, room for the first
// dimension to grow to 21 digits in place, then spaces and a newline up to a
// multiple of 64 bytes of file.
std::string header_text(std::string_view descr, std::span<const std::size_t> shape) {
    std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape_text(shape) +
                       ", }";
    dict.append(21 - std::to_string(shape[0]).size(), ' ');
    const std::size_t prefix = sizeof npy_magic + 4;  // magic, version, 16-bit header length
    dict.append(64 - (prefix + dict.size() + 1) % 64, ' ');
    return dict + '\n';
}

template <class Value>
void write_values(const std::filesystem::path& path, std::span<const std::size_t> shape, std::span<const Value> values,
                  npy_dtype dtype) {
    if (shape.empty() || shape.size() > 2)
        fail(path.string(), "cannot write a " + std::to_string(shape.size()) +
                                "-d array; arrays must have 1 or 2 dimensions");
    if (element_count(shape, path.string()) != values.size())
        fail(path.string(), "the shape holds " + std::to_string(element_count(shape, path.string())) +
                                " elements but " + std::to_string(values.size()) + " values were given");
    std::string bytes(npy_magic, npy_magic + sizeof npy_magic);
    const std::string header = header_text(npy_descr(dtype), shape);
    bytes += {'\x01', '\x00', static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
    bytes += header;
    for (const Value v : values) {
        const auto bits = std::bit_cast<std::uint64_t>(v);
        for (int b = 0; b < 8; ++b) bytes += static_cast<char>((bits >> (8 * b)) & 0xff);
    }
    try {
        write_file_atomically(path, bytes);
    } catch (const std::runtime_error& e) {
        throw npy_error(std::string("npy ") + e.what());
    }
}

}  // namespace

std::string_view npy_descr(npy_dtype dtype) {
    switch (dtype) {
        case npy_dtype::f4: return "<f4";
        case npy_dtype::f8: return "<f8";
        case npy_dtype::i4: return "<i4";
        case npy_dtype::i8: return "<i8";
    }
    return "?";
}

npy_array parse_npy(std::span<const unsigned char> bytes, const std::string& source) {
    const std::size_t magic_present = std::min(bytes.size(), sizeof npy_magic);
    if (!std::equal(npy_magic, npy_magic + magic_present, bytes.begin()))
        fail(source, "not a .npy file: it does not start with \\x93NUMPY");
    const auto truncated = [&](const char* where) {
        fail(source, "truncated: the file ends after " + std::to_string(bytes.size()) + " bytes, " + where);
    };
    if (bytes.size() < sizeof npy_magic + 2) truncated("before the format version");
    const unsigned major = bytes[6], minor = bytes[7];
    if ((major != 1 && major != 2) || minor != 0)
        fail(source, "format version " + std::to_string(major) + "." + std::to_string(minor) +
                         " is not supported (1.0 and 2.0 are)");
    const std::size_t length_bytes = major == 1 ? 2 : 4;
    const std::size_t header_start = sizeof npy_magic + 2 + length_bytes;
    if (bytes.size() < header_start) truncated("inside the header length");
    const std::size_t header_length = little_endian(bytes.data() + sizeof npy_magic + 2, length_bytes);
    if (header_length > bytes.size() - header_start)
        fail(source, "the header length " + std::to_string(header_length) + " runs beyond the end of the file (" +
                         std::to_string(bytes.size()) + " bytes)");

    const std::string_view text(reinterpret_cast<const char*>(bytes.data() + header_start), header_length);
    header_fields header = header_reader(text, source).read();

    const std::size_t count = element_count(header.shape, source);
    const std::size_t item = item_bytes(header.dtype);
    if (count > std::numeric_limits<std::size_t>::max() / item)
        fail(source, "the shape " + shape_text(header.shape) + " needs more bytes than this machine can count");
    const std::size_t data_bytes = bytes.size() - header_start - header_length;
    if (count * item != data_bytes)
        fail(source, "the data hold " + std::to_string(data_bytes) + " bytes but shape " + shape_text(header.shape) +
                         " of " + std::string(npy_descr(header.dtype)) + " needs " + std::to_string(count * item) +
                         (data_bytes < count * item ? ": the file is truncated" : ": bytes follow the data"));

    npy_array array;
    array.dtype = header.dtype;
    array.shape = std::move(header.shape);
    const unsigned char* data = bytes.data() + header_start + header_length;
    if (array.is_integer()) array.values = decode<std::int64_t>(data, count, array.dtype);
    else array.values = decode<double>(data, count, array.dtype);
    return array;
}

npy_array read_npy(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) fail(path.string(), "does not exist or is not a regular file");
    const auto size = std::filesystem::file_size(path, ec);
    std::ifstream in(path, std::ios::binary);
    if (ec || !in) fail(path.string(), "cannot be opened");
    std::vector<unsigned char> bytes(size);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size) fail(path.string(), "cannot be read to its end");
    return parse_npy(bytes, path.string());
}

void write_npy(const std::filesystem::path& path, std::span<const std::size_t> shape,
               std::span<const double> values) {
    write_values(path, shape, values, npy_dtype::f8);
}

void write_npy(const std::filesystem::path& path, std::span<const std::size_t> shape,
               std::span<const std::int64_t> values) {
    write_values(path, shape, values, npy_dtype::i8);
}

}  // namespace gradlab::io
