#pragma once
// Dense: z = x W^T + b, W of shape (out, in), b of shape (1, out), as
// torch.nn.Linear. Forward is one GEMM (nt) onto rows holding b; backward
// dW = dz^T x (tn), db = the column sums of dz (column_sums.hpp),
// dx = dz W (nn). Each is within a gamma_k bound (kernels/gemm.hpp):
// k = in, batch, batch and out.

#include "gradlab/nn/column_sums.hpp"
#include "gradlab/nn/layer.hpp"

namespace gradlab::nn {

template <scalar_type T>
class dense final : public layer<T> {
public:
    using value = storage_t<T>;

    // Parameters start at zero; initialisation is separate (init.hpp).
    dense(std::size_t in, std::size_t out, bool bias, arithmetic<T>& a, activation next_activation = {});

    std::string_view kind() const override { return "dense"; }
    std::size_t input_width() const override { return in_; }
    std::size_t output_width() const override { return out_; }
    matrix_view<const value> forward(matrix_view<const value> x, pass_mode mode) override;
    matrix_view<const value> backward(matrix_view<const value> dy, bool need_input_gradient) override;
    void collect_parameters(std::vector<parameter<T>*>& out) override;

    parameter<T>& weight() { return weight_; }
    parameter<T>* bias() { return has_bias_ ? &bias_ : nullptr; }

private:
    arithmetic<T>& a_;
    std::size_t in_, out_;
    bool has_bias_;
    parameter<T> weight_, bias_;
    value one_, zero_;
    matrix_view<const value> x_;
    column_sums<T> sum_over_batch_;
    matrix<value> z_, dx_;
};

}  // namespace gradlab::nn
