#pragma once
// Definitions of probe/lane_probe.hpp, included by the per-family
// instantiation files of the runner (src/experiment/lane_<family>.cpp).

#include <type_traits>

#include "gradlab/nn/activation_layer.hpp"
#include "gradlab/probe/lane_probe.hpp"
#include "nonfinite_origin_impl.hpp"

namespace gradlab::probe {

namespace lane_probe_detail {

// "x[3,%]"-style element patterns for explain_dot.
inline std::string pattern(std::string_view tensor, std::size_t fixed, bool fixed_is_row) {
    const std::string index = std::to_string(fixed);
    return std::string(tensor) + (fixed_is_row ? "[" + index + ",%]" : "[%," + index + "]");
}

// out = x - y and out = x * factor, rounded to nearest in the storage type:
// not through the lane's arithmetic, whose stochastic rounding draws streams
// (recording must not change the trajectory).
template <class V>
void difference(std::span<const V> x, std::span<const V> y, std::span<V> out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        if constexpr (std::is_same_v<V, mp_float>)
            mpfr_sub(out[i].backend().data(), x[i].backend().data(), y[i].backend().data(), MPFR_RNDN);
        else
            out[i] = x[i] - y[i];
    }
}

// factor is 1 / the loss scale, a power of two: exact unless a value leaves
// the type's range. mp lanes have no loss scaling.
template <class V>
void scaled_copy(std::span<const V> x, long double factor, std::span<V> out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        if constexpr (std::is_same_v<V, mp_float>)
            mpfr_set(out[i].backend().data(), x[i].backend().data(), MPFR_RNDN);
        else
            out[i] = factor == 1 ? x[i] : x[i] * static_cast<V>(factor);
    }
}

// The lane's precision rounding to nearest: for the chain-rule printout,
// which must not draw the lane's stochastic-rounding streams.
inline precision to_nearest(precision p) {
    p.rounding = rounding_mode::nearest_even;
    return p;
}

// Statistics with the census in the precision's own format (binary16 for
// fp16 values held in floats).
template <scalar_type T>
tensor_statistics measure_in_own_format(std::span<const nn::storage_t<T>> x, const nn::arithmetic<T>& a) {
    if constexpr (std::is_same_v<T, mp_float> || std::is_same_v<T, float128>) return measure(x);
    else return measure(x, *a.spec().format);
}

}  // namespace lane_probe_detail

template <scalar_type T>
lane_probe<T>::lane_probe(nn::trainer<T>& trainer, std::string optimizer)
    : trainer_(trainer),
      a_(trainer.model().arith()),
      explainer_(lane_probe_detail::to_nearest(a_.spec())),
      optimizer_(std::move(optimizer)) {
    auto& net = trainer_.model();
    inputs_.resize(net.layer_count());
    outputs_.resize(net.layer_count());
    for (const auto* p : net.parameters()) {
        before_.push_back(a_.matrix_of(p->value.rows(), p->value.cols()));
        change_.push_back(a_.matrix_of(p->value.rows(), p->value.cols()));
        computed_.push_back(a_.matrix_of(p->value.rows(), p->value.cols()));
    }
}

template <scalar_type T>
void lane_probe<T>::begin_step(std::size_t step, const step_measures& measures) {
    step_ = step;
    record_ = measures.statistics;
    conditioning_ = measures.statistics && measures.conditioning;
    histogram_ = measures.histogram;
    clean_ = !origin_ && weights_finite_;
    records_.clear();
    chain_rule_.clear();
    gradient_histogram_.clear();
}

template <scalar_type T>
bool lane_probe<T>::finite(view x) const {
    return nn::arithmetic<T>::all_finite(x.elements());
}

template <scalar_type T>
long double lane_probe<T>::scale() const {
    const auto* update = trainer_.update();
    if (update && update->scaler()) return update->scaler()->scale_fp32();
    if (const auto* master = trainer_.master_update(); master && master->scaler()) return master->scaler()->scale_fp32();
    return 1;
}

template <scalar_type T>
void lane_probe<T>::measure_into(layer_record& record, std::span<const value> x, long double divisor) const {
    record.statistics = lane_probe_detail::measure_in_own_format<T>(x, a_);
    if (divisor != 1) {
        record.statistics.l2_norm /= divisor;
        record.statistics.max_abs /= divisor;
        record.statistics.min_nonzero_abs /= divisor;
    }
}

template <scalar_type T>
nonfinite_origin& lane_probe<T>::found(std::optional<std::size_t> layer, std::string_view layer_kind,
                                       std::string pass, std::string tensor, view result) {
    clean_ = false;
    auto& o = origin_.emplace();
    o.step = step_;
    o.layer = layer;
    o.layer_kind = layer_kind;
    o.pass = std::move(pass);
    o.tensor = std::move(tensor);
    if (const auto at = first_nonfinite<T>(result)) {
        o.row = at->first;
        o.col = at->second;
        o.value = decimal_text<T>(result(o.row, o.col), a_);
    }
    return o;
}

template <scalar_type T>
void lane_probe<T>::forward_done(std::size_t i, const nn::layer<T>& l, view input, view output) {
    inputs_[i] = input;
    outputs_[i] = output;
    const auto* act = dynamic_cast<const nn::activation_layer<T>*>(&l);
    // A recorded output's census says whether it is finite: no second pass.
    std::optional<bool> output_finite;
    if (record_) {
        auto& r = records_.emplace_back();
        r.layer = i;
        r.layer_kind = l.kind();
        r.tensor = act ? tensor_kind::activation : tensor_kind::pre_activation;
        measure_into(r, output.elements());
        if (act) r.statistics.saturated = count_saturated(act->function(), output.elements());
        output_finite = r.statistics.census.nans + r.statistics.census.infinities == 0;
    }
    if (!clean_) return;
    if (i == 0 && !finite(input)) {
        auto& o = found(std::nullopt, "data", "forward", "x", input);
        o.op = "round_to_precision";
        o.explanation = "the batch, rounded once into " + a_.name() + ", is not finite";
        return;
    }
    if (!(output_finite ? *output_finite : finite(output))) explain_forward(i, l, input, output);
}

template <scalar_type T>
void lane_probe<T>::explain_forward(std::size_t i, const nn::layer<T>& l, view input, view output) {
    auto& o = found(i, l.kind(), "forward", "pre_activation", output);
    const std::size_t r = o.row, c = o.col;
    if (const auto* act = dynamic_cast<const nn::activation_layer<T>*>(&l)) {
        o.tensor = "activation";
        o.op = std::string(activation_name(act->function().kind));
        o.operands.push_back({"x[" + std::to_string(r) + "," + std::to_string(c) + "]", decimal_text<T>(input(r, c), a_)});
        o.explanation = o.op + " of a finite input is not finite in " + a_.name();
        return;
    }
    if (l.kind() == "dense") {
        const auto params = trainer_.model().parameters_of(i);
        const auto& w = params[0]->value;  // (out, in)
        const value* bias = params.size() > 1 ? &params[1]->value(0, c) : nullptr;
        explain_dot<T>(a_, input.row(r), 1, w.view().row(c), 1, input.cols(), bias,
                       lane_probe_detail::pattern("x", r, true), lane_probe_detail::pattern("W", c, true),
                       "x[" + std::to_string(r) + ",:]·W[" + std::to_string(c) + ",:]", o);
        return;
    }
    o.op = std::string(l.kind());
    o.operands.push_back({"x[" + std::to_string(r) + "," + std::to_string(c) + "]", decimal_text<T>(input(r, c), a_)});
    o.explanation = o.op + " of finite inputs is not finite in " + a_.name();
}

template <scalar_type T>
void lane_probe<T>::loss_done(view output, const nn::batch_targets<T>& targets, const value& loss) {
    if (chain_rule_on_) {
        chain_rule_.push_back("output y = " + text(output));
        if (!targets.values.empty()) chain_rule_.push_back("target t = " + text(targets.values));
        chain_rule_.push_back("loss L = " + short_text(loss));
    }
    if (!clean_) return;
    if (!targets.values.empty() && !finite(targets.values)) {
        auto& o = found(std::nullopt, "data", "forward", "y", targets.values);
        o.op = "round_to_precision";
        o.explanation = "the batch's targets, rounded once into " + a_.name() + ", are not finite";
        return;
    }
    if (nn::arithmetic<T>::is_finite(loss)) return;
    auto& o = found(std::nullopt, "loss", "forward", "loss", output);
    o.value = decimal_text<T>(loss, a_);
    o.op = std::string(nn::loss_name(trainer_.loss()));
    // The output element of largest magnitude: where a square or exponential overflows.
    std::size_t best = 0;
    const auto y = output.elements();
    for (std::size_t e = 1; e < y.size(); ++e)
        if (nn::arithmetic<T>::to_double(y[e]) * nn::arithmetic<T>::to_double(y[e]) >
            nn::arithmetic<T>::to_double(y[best]) * nn::arithmetic<T>::to_double(y[best]))
            best = e;
    o.row = output.cols() ? best / output.cols() : 0;
    o.col = output.cols() ? best % output.cols() : 0;
    if (!y.empty()) {
        o.operands.push_back({"output[" + std::to_string(o.row) + "," + std::to_string(o.col) + "]",
                              decimal_text<T>(y[best], a_)});
        if (!targets.values.empty())
            o.operands.push_back({"target[" + std::to_string(o.row) + "," + std::to_string(o.col) + "]",
                                  decimal_text<T>(targets.values(o.row, o.col), a_)});
    }
    o.explanation = "the loss of finite outputs and targets is not finite in " + a_.name();
}

template <scalar_type T>
void lane_probe<T>::loss_gradient_done(view output, const nn::batch_targets<T>& targets, view gradient) {
    if (chain_rule_on_)
        chain_rule_.push_back("dL/dy = " + text(gradient) +
                              (nn::arithmetic<T>::to_double(trainer_.seed()) != 1 ? "  (times the loss scale)" : ""));
    if (!clean_ || finite(gradient)) return;
    auto& o = found(std::nullopt, "loss", "backward", "output_gradient", gradient);
    o.op = std::string(nn::loss_name(trainer_.loss())) + "_gradient";
    o.operands.push_back({"output[" + std::to_string(o.row) + "," + std::to_string(o.col) + "]",
                          decimal_text<T>(output(o.row, o.col), a_)});
    if (!targets.values.empty())
        o.operands.push_back({"target[" + std::to_string(o.row) + "," + std::to_string(o.col) + "]",
                              decimal_text<T>(targets.values(o.row, o.col), a_)});
    o.operands.push_back({"seed (loss scale)", decimal_text<T>(trainer_.seed(), a_)});
    o.explanation = "the loss gradient of finite outputs, times the seed, is not finite in " + a_.name();
}

template <scalar_type T>
void lane_probe<T>::backward_done(std::size_t i, const nn::layer<T>& l, view dy, view dx) {
    if (record_) {
        auto& r = records_.emplace_back();
        r.layer = i;
        r.layer_kind = l.kind();
        r.tensor = tensor_kind::activation_gradient;
        measure_into(r, dy.elements(), scale());
    }
    if (chain_rule_on_) explain_factors(i, l, dy, dx);
    if (!clean_) return;
    check_parameter_gradients(i, l, dy);
    if (clean_ && !dx.empty() && !finite(dx)) explain_backward(i, l, dy, dx);
}

template <scalar_type T>
std::string lane_probe<T>::short_text(const value& x) const {
    if (a_.spec().format) return decimal_text<T>(x, a_);
    // binary128 and mp: 17 significant digits, enough to compare with fp64.
    origin_detail::big v(a_.significand_bits());
    nn::arithmetic<T>::to_mpfr(x, v.v);
    if (!mpfr_number_p(v.v)) return origin_detail::mpfr_text(v.v);
    char* s = nullptr;
    mpfr_asprintf(&s, "%.16Re", v.v);
    std::string out(s);
    mpfr_free_str(s);
    return out;
}

template <scalar_type T>
std::string lane_probe<T>::text(view x) const {
    constexpr std::size_t shown = 8;
    std::string out = "[";
    for (std::size_t e = 0; e < x.size() && e < shown; ++e) {
        if (e) out += e % x.cols() == 0 ? "; " : ", ";
        out += short_text(x.data()[e]);
    }
    return out + (x.size() > shown ? ", ...]" : "]");
}

template <scalar_type T>
void lane_probe<T>::explain_factors(std::size_t i, const nn::layer<T>& l, view dy, view dx) {
    const std::string layer = "layer " + std::to_string(i) + " ";
    const std::string out = i + 1 == inputs_.size() ? "y" : "a" + std::to_string(i);
    const std::string in = i == 0 ? "x" : "a" + std::to_string(i - 1);
    if (const auto* act = dynamic_cast<const nn::activation_layer<T>*>(&l)) {
        const std::string f(activation_name(act->function().kind));
        if (derivative_.rows() != dy.rows() || derivative_.cols() != dy.cols())
            derivative_ = a_.matrix_of(dy.rows(), dy.cols());
        explainer_.activation_derivative(act->function(), inputs_[i].elements(),
                                 outputs_[i].elements(), derivative_.elements());
        chain_rule_.push_back(layer + "(" + f + "): d" + out + "/d" + in + " = " + f + "'(" + in + ") = " +
                              text(derivative_.view()));
        if (!dx.empty())
            chain_rule_.push_back(layer + "(" + f + "): dL/d" + in + " = dL/d" + out + " * " + f + "'(" + in + ") = " +
                                  text(dx));
        return;
    }
    for (const auto* p : trainer_.model().parameters_of(i))
        chain_rule_.push_back(layer + "(" + std::string(l.kind()) + "): dL/d" + p->name + " = " +
                              (l.kind() == "dense" ? (p->role == nn::parameter_role::weight
                                                          ? "(dL/d" + out + ")^T " + in + " = "
                                                          : "sum over the batch of dL/d" + out + " = ")
                                                   : std::string()) +
                              text(p->gradient.view()));
    if (!dx.empty())
        chain_rule_.push_back(layer + "(" + std::string(l.kind()) + "): dL/d" + in + " = " +
                              (l.kind() == "dense" ? "dL/d" + out + " W = " : std::string()) + text(dx));
}

template <scalar_type T>
void lane_probe<T>::check_parameter_gradients(std::size_t i, const nn::layer<T>& l, view dy) {
    const auto params = trainer_.model().parameters_of(i);
    for (std::size_t k = 0; k < params.size(); ++k) {
        const auto& g = params[k]->gradient;
        if (finite(g.view())) continue;
        auto& o = found(i, l.kind(), "backward", params[k]->name + ".gradient", g.view());
        const view x = inputs_[i];
        if (l.kind() == "dense" && params[k]->role == nn::parameter_role::weight) {
            // dW[c, j] = sum_r dy[r, c] x[r, j]
            explain_dot<T>(a_, dy.elements().subspan(o.row), dy.cols(),
                           x.elements().subspan(o.col), x.cols(), dy.rows(),
                           nullptr, lane_probe_detail::pattern("dy", o.row, false),
                           lane_probe_detail::pattern("x", o.col, false),
                           "dy[:," + std::to_string(o.row) + "]·x[:," + std::to_string(o.col) + "]", o);
        } else {
            o.op = l.kind() == "dense" ? "column_sum" : std::string(l.kind());
            o.explanation = "the gradient of " + params[k]->name + " from finite inputs is not finite in " + a_.name();
        }
        return;
    }
}

template <scalar_type T>
void lane_probe<T>::explain_backward(std::size_t i, const nn::layer<T>& l, view dy, view dx) {
    auto& o = found(i, l.kind(), "backward", "input_gradient", dx);
    const std::size_t r = o.row, c = o.col;
    const std::string at = "[" + std::to_string(r) + "," + std::to_string(c) + "]";
    if (const auto* act = dynamic_cast<const nn::activation_layer<T>*>(&l)) {
        o.op = std::string(activation_name(act->function().kind)) + "_derivative";
        o.operands.push_back({"dy" + at, decimal_text<T>(dy(r, c), a_)});
        o.operands.push_back({"x" + at, decimal_text<T>(inputs_[i](r, c), a_)});
        o.explanation = "dy times " + std::string(activation_name(act->function().kind)) +
                        "'(x), of finite operands, is not finite in " + a_.name();
        return;
    }
    if (l.kind() == "dense") {
        // dx[r, j] = sum_c dy[r, c] W[c, j]
        const auto& w = trainer_.model().parameters_of(i)[0]->value;
        explain_dot<T>(a_, dy.row(r), 1, w.elements().subspan(c), w.cols(), dy.cols(), nullptr,
                       lane_probe_detail::pattern("dy", r, true), lane_probe_detail::pattern("W", c, false),
                       "dy[" + std::to_string(r) + ",:]·W[:," + std::to_string(c) + "]", o);
        return;
    }
    o.op = std::string(l.kind());
    o.operands.push_back({"dy" + at, decimal_text<T>(dy(r, c), a_)});
    o.explanation = "the input gradient of " + o.op + " from finite operands is not finite in " + a_.name();
}

template <scalar_type T>
void lane_probe<T>::update_begins() {
    const auto& params = trainer_.model().parameters();
    for (std::size_t p = 0; p < params.size(); ++p) {
        // The old weights serve the update's record and an update origin's operands only.
        if (record_ || clean_) a_.copy(params[p]->value.elements(), before_[p].elements());
        if (histogram_) gradient_histogram_.add(params[p]->gradient.elements());
        if (record_)
            lane_probe_detail::scaled_copy<value>(params[p]->gradient.elements(), 1 / scale(),
                                                  computed_[p].elements());
    }
}

template <scalar_type T>
void lane_probe<T>::update_done(bool skipped) {
    auto& net = trainer_.model();
    const auto& params = net.parameters();
    weights_finite_ = true;
    for (std::size_t p = 0; p < params.size(); ++p) {
        if (finite(params[p]->value.view())) continue;
        weights_finite_ = false;
        if (!clean_ || skipped) break;
        auto& o = found(std::nullopt, "update", "update", params[p]->name, params[p]->value.view());
        o.op = optimizer_ + "_update";
        const std::size_t e = o.row * params[p]->value.cols() + o.col;
        const std::string at = "[" + std::to_string(o.row) + "," + std::to_string(o.col) + "]";
        o.operands.push_back({"weight before" + at, decimal_text<T>(before_[p].elements()[e], a_)});
        o.operands.push_back({"gradient" + at, decimal_text<T>(params[p]->gradient.elements()[e], a_)});
        o.explanation = "the " + optimizer_ + " step from a finite weight and gradient is not finite in " + a_.name();
        break;
    }
    // A non-finite gradient that loss scaling skips is routine (the scale
    // backs off), not an origin: only an origin that reached the weights counts.
    if (skipped && origin_ && origin_->step == step_) origin_.reset();
    if (record_) record_parameters();
}

template <scalar_type T>
void lane_probe<T>::record_parameters() {
    auto& net = trainer_.model();
    std::size_t p = 0;
    for (std::size_t i = 0; i < net.layer_count(); ++i) {
        for (auto* param : net.parameters_of(i)) {
            const auto add = [&](tensor_kind kind) -> layer_record& {
                auto& r = records_.emplace_back();
                r.layer = i;
                r.layer_kind = net.layer_at(i).kind();
                r.tensor = kind;
                r.parameter = param->name;
                r.role = param->role;
                return r;
            };
            measure_into(add(tensor_kind::weight_gradient), computed_[p].elements());
            auto& w = add(tensor_kind::weight);
            measure_into(w, param->value.elements());
            if (conditioning_ && param->role == nn::parameter_role::weight)
                w.spectrum = estimate_conditioning(matrix_view<const value>(param->value.view()));
            lane_probe_detail::difference<value>(param->value.elements(), before_[p].elements(),
                                                 change_[p].elements());
            measure_into(add(tensor_kind::update), change_[p].elements());
            ++p;
        }
    }
}

}  // namespace gradlab::probe
