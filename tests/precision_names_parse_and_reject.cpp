// The precision grammar of DESIGN.md: every valid name parses and reads back
// to itself; every malformed one is rejected with a message naming it and
// listing what is valid.

#include <catch2/catch.hpp>

#include "gradlab/scalar/precision.hpp"

using namespace gradlab;

TEST_CASE("precision names parse into family, format and options", "[scalar][precision]") {
    CHECK(parse_precision("fp32").family == precision_family::fp32);
    CHECK(parse_precision("fp64").significand_bits() == 53);
    CHECK(parse_precision("f128").significand_bits() == 113);
    const auto mp = parse_precision("mp256");
    CHECK(mp.family == precision_family::mp);
    CHECK(mp.mp_bits == 256);
    CHECK(parse_precision("fp16").format == binary16());
    CHECK(parse_precision("bf16").format == bfloat16());
    CHECK(parse_precision("fp8e4m3").format == fp8_e4m3());
    CHECK(parse_precision("fp8e5m2").format == fp8_e5m2());
    CHECK(parse_precision("custom:p=11,emax=15").format->precision == 11);

    const auto full = parse_precision("bf16/sr+acc32+master32+ls");
    CHECK(full.rounding == rounding_mode::stochastic);
    CHECK(full.accumulate_fp32);
    CHECK(full.master_fp32);
    CHECK(full.loss_scaling);
    CHECK(parse_precision("fp16/rz").rounding == rounding_mode::toward_zero);
    CHECK(parse_precision("fp16/ru").rounding == rounding_mode::upward);
    CHECK(parse_precision("fp16/rd").rounding == rounding_mode::downward);
    CHECK(parse_precision("fp16/rn").rounding == rounding_mode::nearest_even);
    CHECK_FALSE(parse_precision("fp16+ftz").format->subnormals);
    CHECK(parse_precision("fp32+ls").loss_scaling);
}

TEST_CASE("a custom format with fp16's parameters is binary16 under another name", "[scalar][precision]") {
    auto custom = *parse_precision("custom:p=11,emax=15").format;
    custom.name = "fp16";
    CHECK(custom == binary16());
}

TEST_CASE("canonical names read back to the same precision", "[scalar][precision]") {
    for (const char* name : {"fp32", "fp64", "f128", "mp53", "mp1024", "fp16", "bf16/sr", "fp8e4m3/rz+acc32",
                             "fp8e5m2+master32+ls", "custom:p=5,emax=7/rd", "fp16+ftz", "fp32+ls"}) {
        const auto parsed = parse_precision(name);
        CHECK(parsed.name() == name);
        CHECK(parse_precision(parsed.name()) == parsed);
    }
}

TEST_CASE("malformed precision names are rejected with the valid list", "[scalar][precision]") {
    for (const char* bad : {"", "fp17", "FP16", "mp", "mp1", "mpx", "mp-5", "mp99999999", "fp16/xx", "fp16/",
                            "fp32/sr", "mp256/rz", "fp16+acc16", "fp16+ls+ls", "fp64+ls", "f128+acc32",
                            "custom:p=11", "custom:p=1,emax=15", "custom:p=54,emax=15", "custom:p=11,emax=0",
                            "custom:p=11,emax=2000", "custom:p=a,emax=15", "fp16 ", "fp16+", "fp16+ftz+ftz",
                            "mp256+ftz"}) {
        INFO("name: '" << bad << "'");
        try {
            parse_precision(bad);
            FAIL("accepted");
        } catch (const precision_error& e) {
            const std::string message = e.what();
            CHECK(message.find("'" + std::string(bad) + "'") != std::string::npos);
            CHECK(message.find("valid precisions:") != std::string::npos);
            CHECK(message.find("fp8e4m3") != std::string::npos);
        }
    }
}
