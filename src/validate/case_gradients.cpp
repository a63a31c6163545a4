#include "gradlab/validate/case_gradients.hpp"

#include <stdexcept>
#include <variant>

#include <mpfr.h>

#include "gradlab/nn/dataset.hpp"
#include "gradlab/nn/trainer.hpp"

namespace gradlab::validate {

namespace {

// The case's values as MPFR numbers of `bits` (>= 53: exact).
matrix<mp_float> exact_matrix(std::size_t rows, std::size_t cols, const std::vector<double>& values, int bits) {
    matrix<mp_float> out(rows, cols, element_precision{static_cast<unsigned>(bits)});
    for (std::size_t e = 0; e < values.size(); ++e) mpfr_set_d(out.elements()[e].backend().data(), values[e], MPFR_RNDN);
    return out;
}

struct exact_batch {
    matrix<mp_float> x, y;
    std::vector<std::int64_t> labels;
};

exact_batch batch_of(const validation_case& c, int bits) {
    exact_batch b{exact_matrix(c.x.rows(), c.x.cols(), std::get<std::vector<double>>(c.x.values), bits), {}, {}};
    if (c.y.is_integer()) {
        b.labels = std::get<std::vector<std::int64_t>>(c.y.values);
        b.y = nn::label_values(b.labels, bits);
    } else {
        b.y = exact_matrix(c.y.rows(), c.y.cols(), std::get<std::vector<double>>(c.y.values), bits);
    }
    return b;
}

// Loss and gradients at T's precision `spec`; `each` receives the loss and
// each gradient tensor (network order) while the trainer holds them.
template <scalar_type T, typename Receive>
void compute(const validation_case& c, const precision& spec, Receive&& receive) {
    constexpr int exact_bits = 64;  // holds every fp32 and fp64 value of the case
    const int bits = std::max(exact_bits, spec.significand_bits());
    nn::arithmetic<T> a(spec);
    nn::training_spec training;
    training.loss = c.loss;
    nn::trainer<T> trainer(c.model, training, a);
    const auto& params = trainer.model().parameters();
    if (params.size() != c.parameters.size())
        throw std::logic_error("the case's model has " + std::to_string(params.size()) + " parameters, its files " +
                               std::to_string(c.parameters.size()));
    std::vector<matrix<mp_float>> values;
    for (std::size_t p = 0; p < params.size(); ++p)
        values.push_back(exact_matrix(params[p]->value.rows(), params[p]->value.cols(), c.parameters[p].values, bits));
    trainer.load(values);
    const auto batch = batch_of(c, bits);
    const auto x = nn::round_into(batch.x, a);
    const auto y = nn::round_into(batch.y, a);
    const auto& loss = trainer.compute_gradients(x.view(), {y.view(), batch.labels});
    receive(loss, params);
}

}  // namespace

reference_gradients compute_reference(const validation_case& c, const precision& reference) {
    if (reference.family != precision_family::mp)
        throw std::invalid_argument("--reference: " + reference.name() + " is not an mp precision (mp<bits>)");
    reference_gradients out;
    compute<mp_float>(c, reference, [&](const mp_float& loss, const auto& params) {
        out.loss = loss;
        for (const auto* p : params) out.gradients.push_back(p->gradient);
    });
    return out;
}

dtype_gradients compute_in_dtype(const validation_case& c) {
    dtype_gradients out;
    const auto receive = [&](const auto& loss, const auto& params) {
        out.loss = static_cast<double>(loss);
        for (const auto* p : params) {
            const auto g = p->gradient.elements();
            out.gradients.emplace_back(g.begin(), g.end());
        }
    };
    if (c.dtype == io::npy_dtype::f4) compute<float>(c, parse_precision("fp32"), receive);
    else compute<double>(c, parse_precision("fp64"), receive);
    return out;
}

}  // namespace gradlab::validate
