#include "gradlab/scalar/precision.hpp"

#include <charconv>
#include <mpfr.h>

namespace gradlab {

namespace {

constexpr int max_mp_bits = 1 << 20;

[[noreturn]] void reject(std::string_view name, const std::string& why) {
    throw precision_error("invalid precision '" + std::string(name) + "': " + why + "\nvalid precisions:\n" +
                          precision_grammar());
}

std::optional<int> parse_int(std::string_view digits) {
    int value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
    return value;
}

// custom:p=<p>,emax=<e>
float_format parse_custom(std::string_view full, std::string_view spec) {
    const auto comma = spec.find(',');
    const auto p_part = spec.substr(0, comma);
    const auto e_part = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (!p_part.starts_with("p=") || !e_part.starts_with("emax="))
        reject(full, "a custom format is written custom:p=<bits>,emax=<exponent>, e.g. custom:p=11,emax=15");
    const auto p = parse_int(p_part.substr(2));
    const auto emax = parse_int(e_part.substr(5));
    if (!p || !emax) reject(full, "p and emax must be whole numbers");
    try {
        return custom_format(*p, *emax);
    } catch (const std::invalid_argument& e) {
        reject(full, e.what());
    }
}

precision parse_base(std::string_view full, std::string_view base) {
    precision result;
    if (base == "fp32") {
        result.family = precision_family::fp32;
        result.format = binary32();
    } else if (base == "fp64") {
        result.family = precision_family::fp64;
        result.format = binary64();
    } else if (base == "f128") {
        result.family = precision_family::f128;
    } else if (base.starts_with("mp")) {
        const auto bits = parse_int(base.substr(2));
        if (!bits) reject(full, "mp takes its significand bits, e.g. mp256");
        if (*bits < MPFR_PREC_MIN + 1 || *bits > max_mp_bits)
            reject(full, "mp bits must be in [2, " + std::to_string(max_mp_bits) + "]");
        result.family = precision_family::mp;
        result.mp_bits = *bits;
    } else {
        result.family = precision_family::emulated;
        if (base == "fp16") result.format = binary16();
        else if (base == "bf16") result.format = bfloat16();
        else if (base == "fp8e4m3") result.format = fp8_e4m3();
        else if (base == "fp8e5m2") result.format = fp8_e5m2();
        else if (base.starts_with("custom:")) result.format = parse_custom(full, base.substr(7));
        else reject(full, "unknown base name '" + std::string(base) + "'");
    }
    return result;
}

}  // namespace

int precision::significand_bits() const {
    switch (family) {
        case precision_family::f128: return 113;
        case precision_family::mp: return mp_bits;
        default: return format->precision;
    }
}

std::string precision::name() const {
    std::string text;
    switch (family) {
        case precision_family::f128: text = "f128"; break;
        case precision_family::mp: text = "mp"; text += std::to_string(mp_bits); break;
        default: text = format->name; break;
    }
    if (rounding != rounding_mode::nearest_even) (text += "/") += short_name(rounding);
    if (accumulate_fp32) text += "+acc32";
    if (master_fp32) text += "+master32";
    if (loss_scaling) text += "+ls";
    if (format && !format->subnormals) text += "+ftz";
    return text;
}

precision parse_precision(std::string_view name) {
    const auto plus = name.find('+');
    const auto head = name.substr(0, plus);
    const auto slash = head.find('/');
    precision result = parse_base(name, head.substr(0, slash));
    const bool emulated = result.family == precision_family::emulated;

    if (slash != std::string_view::npos) {
        const auto mode_name = head.substr(slash + 1);
        const auto mode = parse_rounding_mode(mode_name);
        if (!mode) reject(name, "unknown rounding mode '/" + std::string(mode_name) + "'");
        if (!emulated) reject(name, "a rounding suffix applies to emulated formats only");
        result.rounding = *mode;
    }

    std::string_view rest = plus == std::string_view::npos ? std::string_view{} : name.substr(plus + 1);
    while (plus != std::string_view::npos) {
        const auto next = rest.find('+');
        const auto option = rest.substr(0, next);
        bool* flag = nullptr;
        bool allowed = emulated;
        if (option == "acc32") flag = &result.accumulate_fp32;
        else if (option == "master32") flag = &result.master_fp32;
        else if (option == "ls") {
            flag = &result.loss_scaling;
            allowed = emulated || result.family == precision_family::fp32;
        } else if (option == "ftz") {
            if (!emulated) reject(name, "+ftz applies to emulated formats only");
            if (!result.format->subnormals) reject(name, "option '+ftz' given twice");
            result.format->subnormals = false;
        } else {
            reject(name, "unknown option '+" + std::string(option) + "'");
        }
        if (flag != nullptr) {
            if (!allowed) reject(name, "'+" + std::string(option) + "' does not apply to " + std::string(head));
            if (*flag) reject(name, "option '+" + std::string(option) + "' given twice");
            *flag = true;
        }
        if (next == std::string_view::npos) break;
        rest = rest.substr(next + 1);
    }
    return result;
}

std::string precision_grammar() {
    return "  fp32, fp64                IEEE binary32 / binary64 (native, SIMD)\n"
           "  f128                      IEEE binary128 (boost::multiprecision::float128)\n"
           "  mp<bits>                  MPFR with that many significand bits, e.g. mp256\n"
           "  fp16, bf16                IEEE binary16, bfloat16 (emulated)\n"
           "  fp8e4m3, fp8e5m2          OCP 8-bit formats (emulated; e4m3 has no Inf, max 448)\n"
           "  custom:p=<p>,emax=<e>     p significand bits (2..53), emin = 1 - emax (emulated)\n"
           "  suffix /rn /rz /ru /rd /sr   rounding of emulated formats (default /rn, nearest-even)\n"
           "  suffix +acc32             GEMM accumulates in fp32, rounds once (emulated)\n"
           "  suffix +master32          fp32 master weights (emulated)\n"
           "  suffix +ls                dynamic loss scaling (emulated, fp32)\n"
           "  suffix +ftz               flush subnormal results to zero (emulated)\n";
}

}  // namespace gradlab
