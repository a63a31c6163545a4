// gradlab round: what a number becomes in a given precision.

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/precision.hpp"

namespace gradlab::cli {

namespace {

struct round_options {
    std::string format;
    std::string rounding;
    std::uint64_t seed = 0;
    std::vector<std::string> values;
};

struct row {
    std::string input, value, exact, bits, relative_error, note;
};

// The exact decimal expansion of a finite binary value when it has at most 40
// significant digits, else its first 40 followed by "...".
std::string exact_decimal(mpfr_srcptr value) {
    if (!mpfr_number_p(value)) return "";
    constexpr int max_digits = 40;
    char* text = nullptr;
    mpfr_asprintf(&text, "%.*Re", max_digits - 1, value);
    std::string s(text);
    mpfr_free_str(text);
    mp_float back;
    mpfr_set_prec(back.backend().data(), 4 * max_digits);
    mpfr_set_str(back.backend().data(), s.c_str(), 10, MPFR_RNDN);
    const bool exact = mpfr_equal_p(back.backend().data(), value);
    const auto e = s.find('e');
    std::string mantissa = s.substr(0, e);
    if (exact) {
        while (mantissa.back() == '0') mantissa.pop_back();
        if (mantissa.back() == '.') mantissa.pop_back();
    } else {
        mantissa += "...";
    }
    const int exponent = std::stoi(s.substr(e + 1));
    const bool negative = mantissa.front() == '-';
    std::string digits = mantissa.substr(negative ? 1 : 0);
    if (!exact || exponent < -6 || exponent > 20) return mantissa + (exponent == 0 ? "" : "e" + std::to_string(exponent));
    // Plain notation for moderate exponents: move the decimal point.
    digits.erase(std::min<std::size_t>(1, digits.size()), digits[1] == '.' ? 1 : 0);
    if (exponent >= 0) {
        if (digits.size() <= static_cast<std::size_t>(exponent) + 1) digits.append(exponent + 1 - digits.size(), '0');
        else digits.insert(exponent + 1, ".");
    } else {
        digits.insert(0, "0." + std::string(-exponent - 1, '0'));
    }
    return (negative ? "-" : "") + digits;
}

std::string hex(std::uint64_t bits, int width_bits) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%0*llx", (width_bits + 3) / 4, static_cast<unsigned long long>(bits));
    return text;
}

std::string hex(float128 value) {
    unsigned __int128 bits;
    const __float128 raw = value.backend().value();
    std::memcpy(&bits, &raw, sizeof bits);
    return hex(static_cast<std::uint64_t>(bits >> 64), 64) + hex(static_cast<std::uint64_t>(bits), 64).substr(2);
}

// (result - x) / x, computed in x's precision; "-" where it means nothing.
std::string relative_error(mpfr_srcptr x, mpfr_srcptr result) {
    if (!mpfr_number_p(x) || !mpfr_number_p(result) || mpfr_zero_p(x)) return "-";
    mp_float error = to_mp(x, static_cast<int>(mpfr_get_prec(x)));
    mpfr_sub(error.backend().data(), result, x, MPFR_RNDN);
    mpfr_div(error.backend().data(), error.backend().data(), x, MPFR_RNDN);
    if (mpfr_zero_p(error.backend().data())) return "0";
    char* text = nullptr;
    mpfr_asprintf(&text, "%.3Rg", error.backend().data());
    std::string s(text);
    mpfr_free_str(text);
    return s;
}

std::string note_for(mpfr_srcptr x, double result, const float_format& format) {
    if (mpfr_number_p(x) && !std::isfinite(result)) return "overflow";
    if (!mpfr_zero_p(x) && mpfr_number_p(x) && result == 0) return "underflow to zero";
    if (result != 0 && std::isfinite(result) && std::fabs(result) < format.min_normal()) return "subnormal";
    return "";
}

row round_one(const std::string& text, const precision& target, rounding_mode mode, const sr_stream& sr,
              std::uint64_t index) {
    const int parse_bits = std::max(128, target.significand_bits() + 2);
    mp_float x;
    mpfr_set_prec(x.backend().data(), parse_bits);
    if (!parse_number(text, x.backend().data()))
        throw std::invalid_argument("'" + text + "' is not a number (write decimal like 0.1 or 6.1e-5, "
                                    "hexadecimal like 0x1.8p-3, inf or nan)");
    mpfr_srcptr exact = x.backend().data();
    row r;
    r.input = text;
    switch (target.family) {
        case precision_family::f128: {
            const float128 result = to_f128(exact, mode);
            const mp_float wide = to_mp(result, 113);
            r.value = to_round_trip_decimal(wide.backend().data());
            r.exact = exact_decimal(wide.backend().data());
            r.bits = hex(result);
            r.relative_error = relative_error(exact, wide.backend().data());
            break;
        }
        case precision_family::mp: {
            const mp_float result = to_mp(exact, target.mp_bits, mode);
            r.value = to_round_trip_decimal(result.backend().data());
            r.exact = exact_decimal(result.backend().data());
            char* text_hex = nullptr;
            mpfr_asprintf(&text_hex, "%Ra", result.backend().data());
            r.bits = text_hex;
            mpfr_free_str(text_hex);
            r.relative_error = relative_error(exact, result.backend().data());
            break;
        }
        default: {
            const float_format& format = *target.format;
            const double result = round_to_format(exact, format, mode, sr.bits(index));
            const mp_float wide = to_mp(result, 64);
            r.value = to_shortest_decimal(result, format);
            r.exact = exact_decimal(wide.backend().data());
            r.bits = hex(format.encode(result), format.total_bits());
            r.relative_error = relative_error(exact, wide.backend().data());
            r.note = note_for(exact, result, format);
            break;
        }
    }
    return r;
}

void print_table(const std::vector<row>& rows, const std::string& format_name) {
    std::vector<row> table{{"input", format_name, "exact value", "bits", "rel_error", ""}};
    table.insert(table.end(), rows.begin(), rows.end());
    constexpr int columns = 6;
    const auto cells = [](const row& r) {
        return std::array<const std::string*, columns>{&r.input, &r.value, &r.exact, &r.bits, &r.relative_error, &r.note};
    };
    std::array<std::size_t, columns> widths{};
    for (const row& r : table)
        for (int c = 0; c < columns; ++c) widths[c] = std::max(widths[c], cells(r)[c]->size());
    for (const row& r : table) {
        std::string line;
        for (int c = 0; c < columns; ++c) {
            line += *cells(r)[c];
            line += std::string(widths[c] - cells(r)[c]->size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::cout << line << "\n";
    }
}

void run(const round_options& options) {
    const precision target = parse_precision(options.format);
    rounding_mode mode = target.rounding;
    if (!options.rounding.empty()) {
        const auto flag = parse_rounding_mode(options.rounding);
        if (!flag) throw std::invalid_argument("unknown rounding '" + options.rounding + "'; valid: rn, rz, ru, rd, sr");
        if (target.rounding != rounding_mode::nearest_even && *flag != target.rounding)
            throw std::invalid_argument("--rounding " + options.rounding + " contradicts the format's suffix in '" +
                                        options.format + "'");
        mode = *flag;
    }
    if (mode == rounding_mode::stochastic &&
        (target.family == precision_family::f128 || target.family == precision_family::mp))
        throw std::invalid_argument("stochastic rounding applies to formats of at most 53 bits, not " + target.name());

    std::vector<std::string> values = options.values;
    if (values.empty()) values.assign(std::istream_iterator<std::string>(std::cin), {});
    // Every value is converted before anything is printed: bad input leaves no partial table.
    const sr_stream sr{.key = options.seed};
    std::vector<row> rows;
    for (std::size_t i = 0; i < values.size(); ++i) rows.push_back(round_one(values[i], target, mode, sr, i));
    std::string header = target.name();
    if (mode != target.rounding) (header += "/") += short_name(mode);
    print_table(rows, header);
}

}  // namespace

void add_round_command(CLI::App& app) {
    static round_options options;
    auto* command = app.add_subcommand(
        "round",
        "Round numbers to a precision: each value read exactly (decimal or hex), rounded once, shown as the\n"
        "shortest decimal that reads back to it, its bit pattern, and the relative rounding error.");
    command->add_option("--format,-f", options.format, "Target precision, e.g. bf16, fp16, fp8e4m3, fp32, mp113, "
                                                       "custom:p=11,emax=15 (see 'gradlab info')")
        ->required();
    command->add_option("--rounding,-r", options.rounding, "rn (nearest-even, default), rz, ru, rd, or sr (stochastic)");
    command->add_option("--seed", options.seed, "Seed of stochastic rounding (value i uses random bits i of the seed)");
    command->add_option("values", options.values, "Numbers to round; read from standard input when none are given");
    command->footer("Examples:\n  gradlab round --format bf16 0.1 3.14159 1e-40\n"
                    "  gradlab round -f fp16 -r rz 65519 65520\n  echo 0.1 0.2 | gradlab round -f fp8e4m3");
    command->callback([] { run(options); });
}

}  // namespace gradlab::cli
