#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <mpfr.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gradlab/io/atomic_file.hpp"
#include "gradlab/io/npy.hpp"
#include "gradlab/io/run_directory.hpp"
#include "gradlab/io/text_table.hpp"
#include "gradlab/validate/validation_report.hpp"

namespace gradlab::cli {

namespace {

struct validate_arguments {
    std::string case_dir;
    std::string reference = "mp256";
    double tolerance_ulp = 16;
    std::string metric = "scaled";
    std::string json_file;
    std::string reference_dir;
};

// The reference's digits: 45 significant, beyond the 40 the format promises.
constexpr int reference_digits = 45;

std::string decimal(const mp_float& x, int digits) {
    char* text = nullptr;
    mpfr_asprintf(&text, "%.*Rg", digits, x.backend().data());
    std::string out(text);
    mpfr_free_str(text);
    return out;
}

std::string number(long double x, int digits = 3) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char text[48];
    std::snprintf(text, sizeof text, "%.*Lg", digits, x);
    return text;
}

// JSON has no Inf or NaN: those become strings.
nlohmann::json json_number(long double x) {
    if (std::isfinite(x)) return static_cast<double>(x);
    return number(x);
}

std::vector<std::size_t> index_of(std::size_t flat, const std::vector<std::size_t>& shape) {
    std::vector<std::size_t> at(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        at[d] = shape[d] ? flat % shape[d] : 0;
        flat = shape[d] ? flat / shape[d] : 0;
    }
    return at;
}

std::string joined(const std::vector<std::size_t>& v, const char* separator) {
    std::string out;
    for (std::size_t k = 0; k < v.size(); ++k) out += (k ? separator : "") + std::to_string(v[k]);
    return out;
}

std::string joined_names(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t k = 0; k < names.size(); ++k) out += (k ? ", " : "") + names[k];
    return out;
}

std::size_t count_of(const std::vector<std::size_t>& shape) {
    std::size_t n = 1;
    for (const auto d : shape) n *= d;
    return n;
}

void print_report(std::ostream& out, const validate::validation_case& c, const validate::validation_report& r) {
    const std::string m(validate::metric_name(r.chosen));
    out << "case " << c.directory.string() << ": " << r.dtype_name << ", " << c.gradients.size() << " gradient tensors, "
        << c.x.rows() << " examples; reference " << r.reference.name() << "; metric " << m << ", tolerance "
        << number(r.tolerance_ulp) << " ulp of " << r.dtype_name << "\n\n";
    std::vector<std::vector<std::string>> rows{{"tensor", "shape", "max abs err", "max rel err", "max ulp",
                                                "median ulp", "scaled ulp", "normwise rel", "beyond tol",
                                                "worst entry", "gradlab " + r.dtype_name + " (" + m + ")", "verdict"}};
    for (const auto& t : r.tensors) {
        const auto& g = t.given;
        const std::size_t n = count_of(t.shape);
        rows.push_back({t.name, joined(t.shape, "x"), number(g.max_abs_error), number(g.max_relative_error),
                        number(g.max_ulp), number(g.median_ulp), number(g.scaled_ulp), number(g.normwise_relative),
                        n ? number(100.0L * static_cast<long double>(t.beyond) / static_cast<long double>(n), 2) + " %"
                          : "-",
                        n ? "[" + joined(index_of(t.worst, t.shape), ",") + "]" : "-", number(t.gradlab_error),
                        t.within ? "ok" : "BEYOND"});
    }
    io::write_text_table(out, rows);

    const auto& l = r.loss;
    out << "\nloss: reference " << decimal(l.reference, 17);
    if (l.given_text)
        out << ", yours " << *l.given_text << " (" << number(*l.given_ulp) << " ulp)" << (l.within ? "" : " BEYOND");
    else
        out << " (the case has no loss.txt)";
    out << "; gradlab in " << r.dtype_name << ": " << number(l.gradlab_ulp) << " ulp\n";

    // A tensor beyond tolerance is at the floor of the usual formulas in
    // this dtype when gradlab's own computation is beyond it too and yours
    // is within 4x of it; otherwise yours has a defect.
    std::vector<std::string> at_floor, defects;
    for (const auto& t : r.tensors) {
        if (t.within) continue;
        out << "\n" << t.name << ": " << number(t.given_error) << " ulp (" << m << ") at ["
            << joined(index_of(t.worst, t.shape), ",") << "]: yours " << number(t.worst_value, 17) << ", reference "
            << decimal(t.worst_reference, 17) << "; " << t.beyond << " of " << count_of(t.shape)
            << " entries beyond " << number(r.tolerance_ulp) << " ulp; gradlab's own " << r.dtype_name << ": "
            << number(t.gradlab_error) << " ulp";
        const bool floor = t.gradlab_error > r.tolerance_ulp && t.given_error <= 4 * t.gradlab_error;
        (floor ? at_floor : defects).push_back(t.name);
    }
    if (!defects.empty())
        out << "\n\n" << joined_names(defects) << ": gradlab's own " << r.dtype_name
            << " computation is within tolerance there, so yours is beyond what " << r.dtype_name
            << " arithmetic needs: a defect or a less accurate formula.";
    if (!at_floor.empty())
        out << "\n\n" << joined_names(at_floor) << ": gradlab's own " << r.dtype_name
            << " computation, with the usual formulas (PyTorch's: sigmoid' and tanh' from the outputs), is as far "
               "off: at this point those formulas lose the gradient in "
            << r.dtype_name << " (e.g. tanh' = 1 - y^2 from a saturated y), although " << r.dtype_name
            << " could hold it (the reference rounded once is within 0.5 ulp): it needs a wider dtype or a "
               "saturation-safe formula.";
    if (!r.passed()) out << "\n";
    out << "\n" << (r.passed() ? "all within " : "NOT all within ") << number(r.tolerance_ulp) << " ulp (" << m
        << ")\n";
}

nlohmann::json metrics_json(const validate::tensor_comparison& t) {
    return {{"max_abs_error", json_number(t.max_abs_error)},
            {"max_relative_error", json_number(t.max_relative_error)},
            {"max_ulp", json_number(t.max_ulp)},
            {"median_ulp", json_number(t.median_ulp)},
            {"scaled_ulp", json_number(t.scaled_ulp)},
            {"normwise_relative", json_number(t.normwise_relative)}};
}

std::string report_json(const validate::validation_case& c, const validate::validation_report& r) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& t : r.tensors) {
        auto given = metrics_json(t.given);
        const std::size_t n = count_of(t.shape);
        given["beyond_tolerance"] = t.beyond;
        given["beyond_tolerance_share"] = n ? static_cast<double>(t.beyond) / static_cast<double>(n) : 0.0;
        given["error"] = json_number(t.given_error);
        if (n)
            given["worst"] = {{"index", index_of(t.worst, t.shape)},
                              {"value", json_number(t.worst_value)},
                              {"reference", decimal(t.worst_reference, reference_digits)}};
        auto own = metrics_json(t.gradlab);
        own["error"] = json_number(t.gradlab_error);
        tensors.push_back({{"name", t.name}, {"shape", t.shape}, {"given", given}, {"gradlab_dtype", own},
                           {"within_tolerance", t.within}});
    }
    const auto& l = r.loss;
    nlohmann::json loss = {{"reference", decimal(l.reference, reference_digits)},
                           {"gradlab_dtype_ulp", json_number(l.gradlab_ulp)},
                           {"within_tolerance", l.within}};
    loss["given"] = l.given_text ? nlohmann::json(*l.given_text) : nlohmann::json(nullptr);
    loss["given_ulp"] = l.given_ulp ? json_number(*l.given_ulp) : nlohmann::json(nullptr);
    const nlohmann::json doc = {{"format", "gradlab-validation/1"},
                                {"case", c.directory.string()},
                                {"dtype", r.dtype_name},
                                {"reference", r.reference.name()},
                                {"metric", validate::metric_name(r.chosen)},
                                {"tolerance_ulp", static_cast<double>(r.tolerance_ulp)},
                                {"passed", r.passed()},
                                {"loss", loss},
                                {"tensors", tensors}};
    return doc.dump(2) + "\n";
}

// DIR/loss.npy and DIR/grads/<name>.npy: the reference rounded to float64;
// DIR/reference.json: every value as a decimal of 45 significant digits.
void write_reference(const std::filesystem::path& dir, const validate::validation_case& c,
                     const validate::reference_gradients& ref, const precision& reference) {
    io::run_directory out(dir);
    std::filesystem::create_directories(out.path() / "grads");
    const std::vector<std::size_t> one{1};
    const std::vector<double> loss{mpfr_get_d(ref.loss.backend().data(), MPFR_RNDN)};
    io::write_npy(out.path() / "loss.npy", one, loss);
    nlohmann::json gradients = nlohmann::json::object();
    for (std::size_t p = 0; p < c.gradients.size(); ++p) {
        std::vector<double> rounded;
        std::vector<std::string> digits;
        for (const auto& v : ref.gradients[p].elements()) {
            rounded.push_back(mpfr_get_d(v.backend().data(), MPFR_RNDN));
            digits.push_back(decimal(v, reference_digits));
        }
        io::write_npy(out.path() / "grads" / (c.gradients[p].name + ".npy"), c.gradients[p].shape, rounded);
        gradients[c.gradients[p].name] = {{"shape", c.gradients[p].shape}, {"values", digits}};
    }
    const nlohmann::json doc = {{"format", "gradlab-reference/1"},
                                {"case", c.directory.string()},
                                {"precision", reference.name()},
                                {"significant_digits", reference_digits},
                                {"loss", decimal(ref.loss, reference_digits)},
                                {"gradients", gradients}};
    out.write_file("reference.json", doc.dump(2) + "\n");
    out.commit();
}

void validate(const validate_arguments& args) {
    const auto metric = validate::parse_metric(args.metric);
    const precision reference = parse_precision(args.reference);
    if (reference.family != precision_family::mp)
        throw std::invalid_argument("--reference: " + reference.name() + " is not an mp precision (mp<bits>)");
    const auto c = validate::read_case(args.case_dir);
    const auto ref = validate::compute_reference(c, reference);
    const auto report = validate::validate_case(c, reference, ref, metric, args.tolerance_ulp);
    // Every output is complete before any is written: a failure leaves none.
    const std::string json = args.json_file.empty() ? std::string() : report_json(c, report);
    if (!args.reference_dir.empty()) write_reference(args.reference_dir, c, ref, reference);
    if (!json.empty()) io::write_file_atomically(args.json_file, json);
    print_report(std::cout, c, report);
    if (!report.passed()) throw CLI::RuntimeError(1);
}

}  // namespace

void add_validate_command(CLI::App& app) {
    auto args = std::make_shared<validate_arguments>();
    auto* cmd = app.add_subcommand(
        "validate",
        "Check another implementation's gradients (PyTorch, a CUDA kernel, hand-written backprop) against\n"
        "gradlab's high-precision reference: CASE_DIR holds model.json, x.npy, y.npy, params/ and grads/\n"
        "(analysis/export_torch.py writes one from a torch.nn.Sequential). Per tensor: max absolute and\n"
        "relative error, max and median elementwise ULP error, the tensor-scaled ULP error (max |error| /\n"
        "ulp of the tensor's largest entry), the normwise relative error, the share of entries beyond the\n"
        "tolerance and the worst entry; beside it, gradlab's own error in the case's dtype, which tells\n"
        "the dtype's floor from a defect. Exit 0 when all are within tolerance, 1 when not, 2 on bad input.");
    cmd->add_option("case_dir", args->case_dir, "the case directory")->required();
    cmd->add_option("--reference", args->reference, "the reference precision (default mp256)");
    cmd->add_option("--tolerance-ulp", args->tolerance_ulp, "the tolerance in ULPs of the case's dtype (default 16)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--metric", args->metric,
                    "what the tolerance applies to: scaled (default: max |error| / ulp of the tensor's largest "
                    "reference entry; elementwise ULPs blow up on entries with cancellation while the tensor is "
                    "right), elementwise, or normwise (||error|| / ||reference|| in units of 2^(1-p))");
    cmd->add_option("--json", args->json_file, "also write every figure to this JSON file");
    cmd->add_option("--write-reference", args->reference_dir,
                    "write the reference loss and gradients into this new directory: float64 .npy files "
                    "(loss.npy, grads/) and reference.json with 45 significant digits");
    cmd->callback([args] { validate(*args); });
}

}  // namespace gradlab::cli
