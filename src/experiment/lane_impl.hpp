#pragma once
// lane<T> (include/gradlab/experiment/lane.hpp) for one precision family,
// included by the per-family instantiation files (lane_<family>.cpp).

#include <stdexcept>

#include "gradlab/experiment/lane.hpp"
#include "lane_factory.hpp"
#include "gradlab/nn/batches.hpp"
#include "gradlab/nn/dataset.hpp"
#include "gradlab/nn/trainer.hpp"
#include "gradlab/probe/error_metrics.hpp"
#include "gradlab/probe/lane_probe.hpp"
#include "../probe/element_reading.hpp"
#include "../probe/lane_probe_impl.hpp"

namespace gradlab::experiment {

namespace lane_detail {

// x as MPFR values of `bits`, exactly when bits is at least x's precision.
template <scalar_type T>
matrix<mp_float> widened_matrix(matrix_view<const nn::storage_t<T>> x, int bits) {
    matrix<mp_float> out(x.rows(), x.cols(), element_precision{static_cast<unsigned>(bits)});
    const auto from = x.elements();
    const auto to = out.elements();
    for (std::size_t e = 0; e < from.size(); ++e) nn::arithmetic<T>::to_mpfr(from[e], to[e].backend().data());
    return out;
}

// The record of `tensor` for parameter `name` in this step's records, if recorded.
inline probe::layer_record* find_record(std::vector<probe::layer_record>& records, probe::tensor_kind tensor,
                                        const std::string& name) {
    for (auto& r : records)
        if (r.tensor == tensor && r.parameter == name) return &r;
    return nullptr;
}

}  // namespace lane_detail

template <scalar_type T>
class lane_impl final : public lane {
public:
    using value = nn::storage_t<T>;

    lane_impl(const study& s, const study_variant& variant, const precision& spec, const variant_data& data)
        : lane(variant.name, spec),
          a_(spec, s.seed),
          trainer_(variant.model, variant.training, a_),
          probe_(trainer_, std::string(nn::optimizer_name(variant.training.optimizer.kind))),
          x_(nn::round_into(data.data.x, a_)),
          y_(nn::round_into(data.data.y, a_)),
          labels_(data.data.labels),
          batcher_(x_.view(), y_.view(), labels_, variant.batches, s.seed, a_),
          ulps_(probe::ulp_scale_of(spec)) {
        trainer_.load(data.initial_parameters);
        trainer_.set_observer(&probe_);
        probe_.explain_chain_rule(s.probes.chain_rule);
    }

    void step(std::size_t step, const probe::step_measures& measures) override {
        const std::size_t per_epoch = batcher_.batch_count();
        if (step % per_epoch == 0) batcher_.start_epoch(step / per_epoch);
        batch_ = batcher_.batch(step % per_epoch);
        probe_.begin_step(step, measures);
        loss_ = &trainer_.step(batch_.x, {batch_.y, batch_.labels});
    }

    long double loss() const override { return probe::detail::to_long_double(*loss_); }
    std::string loss_text() const override { return probe::decimal_text<T>(*loss_, a_); }
    bool update_skipped() const override { return trainer_.last_step_skipped(); }
    std::optional<long double> loss_scale() const override {
        if (const auto* u = trainer_.update(); u && u->scaler()) return u->scaler()->scale_fp32();
        if (const auto* m = trainer_.master_update(); m && m->scaler()) return m->scaler()->scale_fp32();
        return std::nullopt;
    }
    long double learning_rate() const override {
        if (const auto* u = trainer_.update()) return probe::detail::to_long_double(u->learning_rate());
        return trainer_.master_update()->learning_rate();
    }
    std::size_t skipped_steps() const override {
        if (const auto* u = trainer_.update(); u && u->scaler()) return u->scaler()->skipped_steps();
        if (const auto* m = trainer_.master_update(); m && m->scaler()) return m->scaler()->skipped_steps();
        return 0;
    }

    std::vector<probe::layer_record>& records() override { return probe_.records(); }
    const std::vector<std::string>& chain_rule() const override { return probe_.chain_rule(); }
    const std::optional<probe::nonfinite_origin>& origin() const override { return probe_.origin(); }
    const probe::binade_histogram& gradient_histogram() const override { return probe_.gradient_histogram(); }

    std::vector<parameter_entry> parameter_entries() const override {
        std::vector<parameter_entry> out;
        const auto& params = trainer_.model().parameters();
        for (std::size_t p = 0; p < params.size(); ++p) {
            const auto before = probe_.weights_before_update()[p].elements();
            const auto gradient = probe_.computed_gradient(p);
            for (std::size_t e = 0; e < before.size(); ++e)
                out.push_back({params[p]->name, e, probe::decimal_text<T>(before[e], a_),
                               probe::decimal_text<T>(gradient[e], a_), probe::detail::to_long_double(before[e])});
        }
        return out;
    }

    reference_tensors tensors() const override {
        if constexpr (std::is_same_v<T, mp_float>) {
            reference_tensors out;
            for (const auto* p : trainer_.model().parameters()) {
                out.weights.push_back(p->value.elements());
                out.gradients.push_back(p->gradient.elements());
            }
            return out;
        } else {
            throw std::logic_error("lane " + spec().name() + ": only an mp lane is a reference");
        }
    }

    void measure_drift(const reference_tensors& reference) override {
        const auto& params = trainer_.model().parameters();
        auto& records = probe_.records();
        for (std::size_t p = 0; p < params.size(); ++p) {
            if (auto* r = lane_detail::find_record(records, probe::tensor_kind::weight, params[p]->name))
                r->drift = probe::compare(params[p]->value.elements(), reference.weights[p], ulps_);
            if (auto* r = lane_detail::find_record(records, probe::tensor_kind::weight_gradient, params[p]->name))
                r->drift = probe::compare(probe_.computed_gradient(p), reference.gradients[p], ulps_);
        }
    }

    step_inputs inputs(int bits) const override {
        step_inputs in;
        for (const auto& w : probe_.weights_before_update()) in.weights.push_back(lane_detail::widened_matrix<T>(w.view(), bits));
        in.x = lane_detail::widened_matrix<T>(batch_.x, bits);
        in.y = lane_detail::widened_matrix<T>(batch_.y, bits);
        in.labels.assign(batch_.labels.begin(), batch_.labels.end());
        return in;
    }

    void measure_local_error(const std::vector<std::span<const mp_float>>& oracle_gradients) override {
        const auto& params = trainer_.model().parameters();
        auto& records = probe_.records();
        for (std::size_t p = 0; p < params.size(); ++p)
            if (auto* r = lane_detail::find_record(records, probe::tensor_kind::weight_gradient, params[p]->name))
                r->local_error = probe::compare(probe_.computed_gradient(p), oracle_gradients[p], ulps_);
    }

private:
    nn::arithmetic<T> a_;
    nn::trainer<T> trainer_;
    probe::lane_probe<T> probe_;
    matrix<value> x_, y_;
    std::vector<std::int64_t> labels_;
    nn::batcher<T> batcher_;
    nn::mini_batch<T> batch_{};
    const value* loss_ = nullptr;
    probe::ulp_scale ulps_;
};

template <scalar_type T>
std::unique_ptr<lane> make_lane_in(const study& s, const study_variant& variant, const precision& spec,
                                   const variant_data& data) {
    return std::make_unique<lane_impl<T>>(s, variant, spec, data);
}

}  // namespace gradlab::experiment
