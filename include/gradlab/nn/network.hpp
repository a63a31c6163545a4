#pragma once
// A feed-forward network built from a model_spec: its layers in order, their
// parameters named as PyTorch's state_dict names them ("layers.{i}.weight",
// i the index in the spec; nested layers "layers.{i}.body.{j}.weight" and
// "layers.{i}.projection.weight").

#include <memory>
#include <span>
#include <vector>

#include "gradlab/nn/layer.hpp"
#include "gradlab/nn/model_spec.hpp"
#include "gradlab/nn/step_observer.hpp"

namespace gradlab::nn {

// One layer of `spec` for `input_width` features (a residual block builds
// its body); throws std::invalid_argument for a zero width.
template <scalar_type T>
std::unique_ptr<layer<T>> make_layer(const layer_spec& spec, std::size_t input_width, arithmetic<T>& a,
                                     activation next_activation = {});

template <scalar_type T>
class network {
public:
    using value = storage_t<T>;

    network(const model_spec& spec, arithmetic<T>& a);

    std::size_t input_width() const { return input_width_; }
    std::size_t output_width() const { return layers_.empty() ? input_width_ : layers_.back()->output_width(); }
    std::size_t layer_count() const { return layers_.size(); }
    layer<T>& layer_at(std::size_t i) { return *layers_.at(i); }

    // The output for a batch x (input_width() columns); x must stay valid until backward().
    matrix_view<const value> forward(matrix_view<const value> x, pass_mode mode = pass_mode::training);
    // Fills every parameter's gradient from dL/d(output of the last forward).
    void backward(matrix_view<const value> doutput);

    // Every parameter, in layer order; the pointers stay valid for the network's life.
    const std::vector<parameter<T>*>& parameters() const { return parameters_; }
    parameter<T>& parameter_named(std::string_view name);
    // The parameters of layer i (nested layers' included), in parameters()' order.
    std::span<parameter<T>* const> parameters_of(std::size_t i) const;

    // Told of every layer's forward and backward output; nullptr: nobody.
    void set_observer(step_observer<T>* observer) { observer_ = observer; }

    arithmetic<T>& arith() { return a_; }

private:
    arithmetic<T>& a_;
    std::size_t input_width_;
    std::vector<std::unique_ptr<layer<T>>> layers_;
    std::vector<parameter<T>*> parameters_;
    std::vector<std::size_t> first_parameter_;  // of layer i; one more entry: the end
    step_observer<T>* observer_ = nullptr;
};

}  // namespace gradlab::nn
