#pragma once
// The verdict of `gradlab validate`: each gradient tensor of a case against
// gradlab's reference, by the chosen metric, beside gradlab's own error in the
// case's dtype (is the case at the dtype's floor, or beyond it?), and the loss.
//
// Metrics, each in ULPs of the case's dtype (fp32: p = 24, fp64: p = 53):
//   scaled       max |x_i - r_i| / ulp(max |r|): the error on the tensor's own
//                scale (the default). An entry that is a sum with cancellation
//                is tiny next to its tensor; a correct implementation is then
//                routinely 1e2 to 1e5 elementwise ULPs off in it while a few
//                ULPs off on the tensor's scale.
//   elementwise  max |x_i - r_i| / ulp(r_i): the strict question, entry by entry.
//   normwise     ||x - r||_2 / ||r||_2 in units of eps = 2^(1-p).
// The loss (when the case gives one) is judged elementwise: a scalar.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/scalar/precision.hpp"
#include "gradlab/validate/case_gradients.hpp"
#include "gradlab/validate/tensor_comparison.hpp"
#include "gradlab/validate/validation_case.hpp"

namespace gradlab::validate {

enum class metric { scaled, elementwise, normwise };

std::string_view metric_name(metric m);
// std::invalid_argument naming the valid ones.
metric parse_metric(std::string_view name);

struct tensor_verdict {
    std::string name;
    std::vector<std::size_t> shape;
    tensor_comparison given;   // the case's gradient against the reference
    tensor_comparison gradlab; // gradlab's own, in the case's dtype, against the reference
    long double given_error = 0, gradlab_error = 0;  // by the chosen metric
    std::size_t beyond = 0;    // the case's entries beyond the tolerance (scaled or elementwise; normwise: scaled)
    std::size_t worst = 0;     // the case's worst entry by the chosen metric (C-order index)
    double worst_value = 0;    // the case's value there
    mp_float worst_reference;  // the reference's
    bool within = true;
};

struct loss_verdict {
    std::optional<std::string> given_text;  // loss.txt
    std::optional<long double> given_ulp;   // its error, when given
    long double gradlab_ulp = 0;            // gradlab's own loss in the dtype
    mp_float reference;
    bool within = true;
};

struct validation_report {
    std::string dtype_name;  // fp32 or fp64
    precision reference;
    metric chosen = metric::scaled;
    long double tolerance_ulp = 16;
    std::vector<tensor_verdict> tensors;
    loss_verdict loss;
    bool passed() const;
};

// `ref`: compute_reference(c, reference), computed once by the caller (who may also write it out).
validation_report validate_case(const validation_case& c, const precision& reference, const reference_gradients& ref,
                                metric chosen, long double tolerance_ulp);

}  // namespace gradlab::validate
