#include "gradlab/validate/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <mpfr.h>

#include "gradlab/experiment/lane.hpp"
#include "gradlab/nn/batches.hpp"
#include "gradlab/nn/dataset.hpp"
#include "gradlab/nn/loss.hpp"
#include "gradlab/nn/trainer.hpp"

namespace gradlab::validate {

namespace {

// ceil(p/3): h and the floor are 2^-step_exponent on their scales.
long step_exponent(int bits) { return (bits + 2) / 3; }

long double to_long_double(const mp_float& x) { return mpfr_get_ld(x.backend().data(), MPFR_RNDN); }

// The training-mode loss of the trainer's network on a batch (the header
// says why not evaluate()), its forward pass started at the layer whose
// parameter moved: the layers before it keep their outputs from the last pass
// (a layer's output view lives until its next forward), so the tensors go
// from the last layer to the first.
class training_loss {
public:
    training_loss(nn::network<mp_float>& net, nn::loss_kind kind, nn::arithmetic<mp_float>& a,
                  const nn::mini_batch<mp_float>& batch)
        : net_(net), loss_(nn::make_loss(kind, a)), batch_(batch), inputs_(net.layer_count()) {
        auto x = batch_.x;
        for (std::size_t i = 0; i < inputs_.size(); ++i) {
            inputs_[i] = x;
            x = net_.layer_at(i).forward(x, nn::pass_mode::training);
        }
    }

    // The loss with layer `first`'s parameters as they are now and every earlier layer's as at the last call.
    void from_layer(std::size_t first, mp_float& out) {
        if (first > lowest_run_) throw std::logic_error("gradcheck: layer " + std::to_string(first) + " after a layer before it");
        lowest_run_ = first;
        auto x = inputs_[first];
        for (std::size_t i = first; i < inputs_.size(); ++i) x = net_.layer_at(i).forward(x, nn::pass_mode::training);
        loss_->forward(x, {batch_.y, batch_.labels}, out);
    }

private:
    nn::network<mp_float>& net_;
    std::unique_ptr<nn::loss_function<mp_float>> loss_;
    nn::mini_batch<mp_float> batch_;
    std::vector<matrix_view<const mp_float>> inputs_;  // of each layer, as of the construction
    std::size_t lowest_run_ = std::numeric_limits<std::size_t>::max();
};

// (L(w + h) - L(w - h)) / ((w + h) - (w - h)) for the entry w of a parameter
// of layer `layer`; w is left as it was.
mp_float difference_quotient(mp_float& w, std::size_t layer, training_loss& loss, const nn::arithmetic<mp_float>& a) {
    const mpfr_ptr entry = w.backend().data();
    const mp_float saved = w;
    mp_float h = a.zero(), plus = a.zero(), minus = a.zero(), held_plus = a.zero(), out = a.zero();
    const long scale = !mpfr_regular_p(entry) ? 0 : std::max<long>(0, mpfr_get_exp(entry));  // |w| < 2^scale
    mpfr_set_ui_2exp(h.backend().data(), 1, scale - step_exponent(a.significand_bits()), MPFR_RNDN);
    mpfr_add(entry, saved.backend().data(), h.backend().data(), MPFR_RNDN);
    held_plus = w;
    loss.from_layer(layer, plus);
    mpfr_sub(entry, saved.backend().data(), h.backend().data(), MPFR_RNDN);
    loss.from_layer(layer, minus);
    mpfr_sub(h.backend().data(), held_plus.backend().data(), entry, MPFR_RNDN);  // the distance as held
    mpfr_set(entry, saved.backend().data(), MPFR_RNDN);
    mpfr_sub(out.backend().data(), plus.backend().data(), minus.backend().data(), MPFR_RNDN);
    mpfr_div(out.backend().data(), out.backend().data(), h.backend().data(), MPFR_RNDN);
    return out;
}

// max = x when x is larger, or NaN (a non-finite loss or gradient: the worst
// error there is, and it stays); returns whether it was.
bool keep_largest(long double& max, long double x) {
    if (std::isnan(max) || !(std::isnan(x) || x > max)) return false;
    max = x;
    return true;
}

nn::mini_batch<mp_float> first_batch(nn::batcher<mp_float>& batcher, const std::string& variant,
                                     const nn::batch_options& options, std::size_t samples) {
    if (batcher.batch_count() == 0)
        throw std::invalid_argument("variant '" + variant + "': no full batch of " + std::to_string(options.batch_size) +
                                    " in " + std::to_string(samples) + " samples (drop_last)");
    batcher.start_epoch(0);
    return batcher.batch(0);
}

}  // namespace

std::vector<std::size_t> checked_entries(std::size_t size, std::size_t n) {
    if (n == 0) throw std::invalid_argument("gradcheck: at least one entry per tensor");
    std::vector<std::size_t> out;
    if (size <= n) {
        for (std::size_t e = 0; e < size; ++e) out.push_back(e);
    } else if (n == 1) {
        out.push_back(0);
    } else {
        for (std::size_t k = 0; k < n; ++k) out.push_back(k * (size - 1) / (n - 1));
    }
    return out;
}

long double mismatch_threshold(int bits) { return std::exp2(-static_cast<long double>(bits) / 4); }
long double expected_error(int bits) { return std::exp2(-2 * static_cast<long double>(bits) / 3); }

derivative_samples sample_derivatives(const experiment::study& s, const experiment::study_variant& variant,
                                      const precision& spec, std::size_t entries) {
    if (spec.family != precision_family::mp)
        throw std::invalid_argument("gradcheck needs an mp precision, e.g. mp512 (not " + spec.name() + ")");
    const auto data = experiment::make_variant_data(s, variant);
    nn::arithmetic<mp_float> a(spec, s.seed);
    nn::trainer<mp_float> trainer(variant.model, variant.training, a);
    trainer.load(data.initial_parameters);
    const auto x = nn::round_into(data.data.x, a), y = nn::round_into(data.data.y, a);
    nn::batcher<mp_float> batcher(x.view(), y.view(), data.data.labels, variant.batches, s.seed, a);
    const auto batch = first_batch(batcher, variant.name, variant.batches, x.rows());

    derivative_samples out{variant.name, a.significand_bits(), a.zero(), {}};
    out.loss = trainer.compute_gradients(batch.x, {batch.y, batch.labels});
    for (const auto* p : trainer.model().parameters()) {
        auto& t = out.tensors.emplace_back();
        t.name = p->name;
        t.rows = p->value.rows();
        t.cols = p->value.cols();
        t.entries = checked_entries(p->value.size(), entries);
        for (const auto e : t.entries) t.analytic.push_back(p->gradient.elements()[e]);
    }
    auto& net = trainer.model();
    training_loss loss(net, variant.training.loss, a, batch);
    for (std::size_t layer = net.layer_count(); layer-- > 0;)
        for (auto* p : net.parameters_of(layer)) {
            const auto index = static_cast<std::size_t>(std::find(net.parameters().begin(), net.parameters().end(), p) -
                                                        net.parameters().begin());
            auto& t = out.tensors[index];
            for (const auto e : t.entries)
                t.finite_difference.push_back(difference_quotient(p->value.elements()[e], layer, loss, a));
        }
    return out;
}

std::vector<finite_difference_verdict> compare(const derivative_samples& samples) {
    const int bits = samples.bits;
    mp_float tiny = abs(samples.loss);  // the floor: 2^-ceil(p/3) max(1, |L|)
    if (!(tiny >= 1)) tiny = 1;
    mpfr_mul_2si(tiny.backend().data(), tiny.backend().data(), -step_exponent(bits), MPFR_RNDN);

    std::vector<finite_difference_verdict> out;
    for (const auto& t : samples.tensors) {
        auto& v = out.emplace_back();
        v.name = t.name;
        v.rows = t.rows;
        v.cols = t.cols;
        v.entries_checked = t.entries.size();
        for (std::size_t k = 0; k < t.entries.size(); ++k) {
            const mp_float error = abs(t.analytic[k] - t.finite_difference[k]);
            const mp_float size = std::max({mp_float(abs(t.analytic[k])), mp_float(abs(t.finite_difference[k])), tiny});
            if (size == tiny) ++v.entries_under_floor;
            if (keep_largest(v.max_relative_error, to_long_double(error / size))) v.worst_entry = t.entries[k];
            keep_largest(v.max_absolute_error, to_long_double(error));
        }
        v.ok = v.max_relative_error < mismatch_threshold(bits);
    }
    return out;
}

}  // namespace gradlab::validate
