// The .npy reader and writer against files numpy 1.24 wrote
// (analysis/fixtures/make_npy_fixtures.py, committed in tests/fixtures/npy/):
// values come back bit for bit, the writer reproduces numpy's bytes, and
// everything unsupported or damaged (every truncation, random byte flips in
// the header, hand-made bad headers) gives an npy_error naming the file,
// never a crash or another exception.

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "gradlab/io/npy.hpp"

using namespace gradlab::io;
using Catch::Matchers::Contains;

namespace {

std::string fixture(const std::string& name) { return std::string(GRADLAB_FIXTURE_DIR) + "/npy/" + name; }

std::vector<unsigned char> file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh directory under the system's temporary one, removed at the end of the test.
struct scratch_directory {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("gradlab_npy_test_" + std::to_string(::getpid()));
    scratch_directory() {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~scratch_directory() { std::filesystem::remove_all(path); }
};

const std::vector<double>& doubles(const npy_array& a) { return std::get<std::vector<double>>(a.values); }
const std::vector<std::int64_t>& integers(const npy_array& a) { return std::get<std::vector<std::int64_t>>(a.values); }

void require_same_bits(const std::vector<double>& got, const std::vector<double>& expected) {
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
        CHECK(std::bit_cast<std::uint64_t>(got[i]) == std::bit_cast<std::uint64_t>(expected[i]));
    }
}

// The values make_npy_fixtures.py writes.
const std::vector<double> f8_values = {0.1, -0.0, std::numeric_limits<double>::denorm_min(),
                                       std::numeric_limits<double>::max(), -std::numeric_limits<double>::infinity(),
                                       std::numeric_limits<double>::quiet_NaN()};

// A .npy file made by hand: magic, version, header length, the header text, the data.
std::vector<unsigned char> handmade(const std::string& header, std::size_t data_bytes, unsigned major = 1) {
    std::vector<unsigned char> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major), 0};
    const std::size_t length_bytes = major == 1 ? 2 : 4;
    for (std::size_t i = 0; i < length_bytes; ++i) b.push_back(static_cast<unsigned char>(header.size() >> (8 * i)));
    b.insert(b.end(), header.begin(), header.end());
    b.resize(b.size() + data_bytes, 0);
    return b;
}

// parse_npy must throw an npy_error naming the source and saying `what`.
void require_refused(const std::vector<unsigned char>& bytes, const std::string& what) {
    REQUIRE_THROWS_MATCHES(parse_npy(bytes, "handmade.npy"), npy_error,
                           Catch::Matchers::Predicate<npy_error>(
                               [&](const npy_error& e) {
                                   const std::string m = e.what();
                                   return m.find("handmade.npy") != std::string::npos &&
                                          m.find(what) != std::string::npos;
                               },
                               "an npy_error naming handmade.npy and saying '" + what + "'"));
}

}  // namespace

TEST_CASE("npy: reads numpy's version 1.0 files of every supported dtype exactly", "[io][npy]") {
    const auto f8 = read_npy(fixture("v1_f8_2x3.npy"));
    CHECK(f8.dtype == npy_dtype::f8);
    CHECK(f8.shape == std::vector<std::size_t>{2, 3});
    require_same_bits(doubles(f8), f8_values);

    const auto f4 = read_npy(fixture("v1_f4_2x3.npy"));
    CHECK(f4.dtype == npy_dtype::f4);
    CHECK(f4.shape == std::vector<std::size_t>{2, 3});
    require_same_bits(doubles(f4), {static_cast<double>(0.1f), -2.5,
                                    static_cast<double>(std::numeric_limits<float>::denorm_min()),
                                    static_cast<double>(std::numeric_limits<float>::max()),
                                    std::numeric_limits<double>::infinity(), -0.0});

    const auto i8 = read_npy(fixture("v1_i8_2x3.npy"));
    CHECK(i8.dtype == npy_dtype::i8);
    CHECK(i8.is_integer());
    CHECK(integers(i8) == std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(),
                                                    std::numeric_limits<std::int64_t>::max(), 0, 1, -1, 42});

    const auto i4 = read_npy(fixture("v1_i4_3.npy"));
    CHECK(i4.dtype == npy_dtype::i4);
    CHECK(i4.shape == std::vector<std::size_t>{3});
    CHECK(i4.rows() == 3);
    CHECK(i4.cols() == 1);
    CHECK(integers(i4) == std::vector<std::int64_t>{std::numeric_limits<std::int32_t>::min(),
                                                    std::numeric_limits<std::int32_t>::max(), 7});

    const auto empty = read_npy(fixture("v1_f8_empty_0x4.npy"));
    CHECK(empty.shape == std::vector<std::size_t>{0, 4});
    CHECK(doubles(empty).empty());
}

TEST_CASE("npy: reads version 2.0 as 1.0", "[io][npy]") {
    const auto v2 = read_npy(fixture("v2_f8_2x3.npy"));
    CHECK(v2.shape == std::vector<std::size_t>{2, 3});
    require_same_bits(doubles(v2), f8_values);
}

TEST_CASE("npy: the writer reproduces numpy's bytes and round-trips values", "[io][npy]") {
    scratch_directory dir;
    SECTION("numpy's own files, written again, byte for byte") {
        for (const char* name : {"v1_f8_2x3.npy", "v1_i8_2x3.npy", "v1_f8_empty_0x4.npy"}) {
            INFO(name);
            const auto original = read_npy(fixture(name));
            const auto copy = dir.path / name;
            if (original.is_integer())
                write_npy(copy, original.shape, std::span<const std::int64_t>(integers(original)));
            else
                write_npy(copy, original.shape, std::span<const double>(doubles(original)));
            CHECK(file_bytes(copy) == file_bytes(fixture(name)));
        }
    }
    SECTION("doubles of every kind, 1-d and 2-d, zero sizes included") {
        std::mt19937_64 bits(2024);
        for (const std::vector<std::size_t>& shape : std::vector<std::vector<std::size_t>>{
                 {0}, {1}, {5}, {0, 3}, {3, 0}, {1, 1}, {7, 3}, {1000, 2}}) {
            std::vector<double> values(shape.size() == 1 ? shape[0] : shape[0] * shape[1]);
            for (auto& v : values) v = std::bit_cast<double>(bits());  // NaN payloads, subnormals, infinities
            const auto path = dir.path / "round_trip.npy";
            write_npy(path, shape, values);
            const auto back = read_npy(path);
            CHECK(back.dtype == npy_dtype::f8);
            CHECK(back.shape == shape);
            require_same_bits(doubles(back), values);
        }
    }
    SECTION("int64 at its extremes") {
        const std::vector<std::int64_t> values = {std::numeric_limits<std::int64_t>::min(), -1, 0, 1,
                                                  std::numeric_limits<std::int64_t>::max()};
        const std::vector<std::size_t> shape = {5};
        write_npy(dir.path / "labels.npy", shape, values);
        const auto back = read_npy(dir.path / "labels.npy");
        CHECK(back.dtype == npy_dtype::i8);
        CHECK(integers(back) == values);
    }
    SECTION("a write replaces the old file whole and leaves no temporary file") {
        const std::vector<std::size_t> shape = {2};
        write_npy(dir.path / "a.npy", shape, std::vector<double>{1, 2});
        write_npy(dir.path / "a.npy", shape, std::vector<double>{3, 4});
        require_same_bits(doubles(read_npy(dir.path / "a.npy")), {3, 4});
        CHECK(std::distance(std::filesystem::directory_iterator(dir.path), std::filesystem::directory_iterator()) == 1);
    }
    SECTION("bad shapes and unwritable places are refused, naming the file") {
        const std::vector<double> three = {1, 2, 3};
        const std::vector<std::size_t> wrong = {2, 2}, scalar = {}, three_d = {1, 1, 3};
        CHECK_THROWS_WITH(write_npy(dir.path / "w.npy", wrong, three), Contains("w.npy") && Contains("4 elements"));
        CHECK_THROWS_WITH(write_npy(dir.path / "s.npy", scalar, three), Contains("s.npy") && Contains("0-d"));
        CHECK_THROWS_WITH(write_npy(dir.path / "t.npy", three_d, three), Contains("t.npy") && Contains("3-d"));
        const std::vector<std::size_t> shape = {3};
        CHECK_THROWS_AS(write_npy(dir.path / "missing" / "x.npy", shape, three), npy_error);
        CHECK_THROWS_WITH(write_npy(dir.path / "missing" / "x.npy", shape, three), Contains("x.npy"));
        CHECK(std::distance(std::filesystem::directory_iterator(dir.path), std::filesystem::directory_iterator()) == 0);
    }
}

TEST_CASE("npy: numpy files it does not support are refused, naming the file and the reason", "[io][npy]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"fortran_order_f8_2x3.npy", "Fortran-order"}, {"big_endian_f8_3.npy", "big-endian dtype '>f8'"},
        {"object_2.npy", "object arrays"},             {"float16_3.npy", "dtype '<f2' is not supported"},
        {"scalar_0d.npy", "0-d array"},                {"three_d_f8_1x2x2.npy", "3-d array"},
    };
    for (const auto& [name, reason] : cases) {
        INFO(name);
        CHECK_THROWS_AS(read_npy(fixture(name)), npy_error);
        CHECK_THROWS_WITH(read_npy(fixture(name)), Contains(fixture(name)) && Contains(reason));
    }
    CHECK_THROWS_WITH(read_npy(fixture("no_such_file.npy")),
                      Contains("no_such_file.npy") && Contains("does not exist"));
    CHECK_THROWS_WITH(read_npy(GRADLAB_FIXTURE_DIR), Contains("not a regular file"));
}

TEST_CASE("npy: every truncation of a valid file is refused, naming the file", "[io][npy]") {
    scratch_directory dir;
    for (const char* name : {"v1_f8_2x3.npy", "v2_f8_2x3.npy", "v1_i4_3.npy"}) {
        const auto whole = file_bytes(fixture(name));
        for (std::size_t length = 0; length < whole.size(); ++length) {
            INFO(name << " cut to " << length << " bytes");
            const auto path = dir.path / ("cut_" + std::to_string(length) + ".npy");
            std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(whole.data()),
                                                         static_cast<std::streamsize>(length));
            CHECK_THROWS_WITH(read_npy(path), Contains(path.string()) && Contains("npy file"));
        }
    }
    const auto whole = file_bytes(fixture("v1_f8_2x3.npy"));
    auto cut = whole;
    cut.resize(whole.size() - 1);
    require_refused(cut, "the file is truncated");
    cut.resize(7);
    require_refused(cut, "truncated");
    auto longer = whole;
    longer.push_back(0);
    require_refused(longer, "bytes follow the data");
}

TEST_CASE("npy: random byte flips in the header give an error or a consistent array, never a crash", "[io][npy]") {
    std::mt19937_64 random(7);
    std::size_t refused = 0, accepted = 0;
    for (const char* name : {"v1_f8_2x3.npy", "v2_f8_2x3.npy", "v1_i4_3.npy"}) {
        const auto whole = file_bytes(fixture(name));
        // magic, version, header length (2 bytes in 1.0, 4 in 2.0), header
        const std::size_t header_end =
            whole[6] == 1 ? 10 + (whole[8] | whole[9] << 8) : 12 + (whole[8] | whole[9] << 8);
        for (int trial = 0; trial < 3000; ++trial) {
            auto garbled = whole;
            const int flips = 1 + static_cast<int>(random() % 3);
            for (int f = 0; f < flips; ++f)
                garbled[random() % header_end] = static_cast<unsigned char>(random() % 256);
            try {
                const auto array = parse_npy(garbled, "garbled.npy");
                // A flip may leave a valid file (a changed padding space, a
                // changed value of the same dtype): it must then be self-consistent.
                const std::size_t count = array.rows() * array.cols();
                const std::size_t held = array.is_integer() ? integers(array).size() : doubles(array).size();
                CHECK(held == count);
                CHECK((array.shape.size() == 1 || array.shape.size() == 2));
                ++accepted;
            } catch (const npy_error& e) {
                CHECK_THAT(e.what(), Contains("garbled.npy"));
                ++refused;
            }
        }
    }
    INFO(refused << " refused, " << accepted << " accepted");
    CHECK(refused > 0);
    CHECK(accepted > 0);
}

TEST_CASE("npy: hand-made bad headers are refused with their reason", "[io][npy]") {
    const std::string good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n";
    CHECK(doubles(parse_npy(handmade(good, 16), "handmade.npy")).size() == 2);
    CHECK(doubles(parse_npy(handmade("{\"shape\":(2,),\"descr\":\"<f8\",\"fortran_order\":False}", 16),
                            "handmade.npy"))
              .size() == 2);
    CHECK(doubles(parse_npy(handmade(good, 16, 2), "handmade.npy")).size() == 2);

    auto bad_magic = handmade(good, 16);
    bad_magic[1] = 'X';
    require_refused(bad_magic, "not a .npy file");
    auto version_3 = handmade(good, 16);
    version_3[6] = 3;
    require_refused(version_3, "format version 3.0 is not supported");
    auto long_header = handmade(good, 16);
    long_header[8] = 0xff;
    long_header[9] = 0xff;
    require_refused(long_header, "header length 65535 runs beyond the end of the file");
    auto long_v2_header = handmade(good, 16, 2);
    long_v2_header[11] = 0xff;
    require_refused(long_v2_header, "runs beyond the end of the file");

    require_refused(handmade("{'descr': '<f8', 'fortran_order': False}", 16), "lacks");
    require_refused(handmade("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", 16),
                    "repeated key 'descr'");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 16),
                    "unexpected or repeated key 'extra'");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (2)}", 16), "needs its comma");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}", 16),
                    "non-negative integer");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,)}", 16), "True or False");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x", 16), "after the header");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)", 16), "expected");
    require_refused(handmade("{'descr': '<f8, 'fortran_order': False, 'shape': (2,)}", 16), "is not supported");
    require_refused(handmade("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,)}", 16),
                    "structured dtypes");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", 8), "the file is truncated");
    // Shapes whose byte count overflows, or far exceeds the file: refused before any allocation.
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,)}", 16),
                    "too large");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", 16),
                    "more elements than this machine can count");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}", 16),
                    "more bytes than this machine can count");
    require_refused(handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,)}", 16),
                    "the file is truncated");
    std::string with_nul = "{'descr': '<f8#', 'fortran_order': False, 'shape': (2,)}";
    with_nul[with_nul.find('#')] = '\0';
    require_refused(handmade(with_nul, 16), "non-printable");
}
