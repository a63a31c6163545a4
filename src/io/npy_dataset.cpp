#include "gradlab/io/npy_dataset.hpp"

#include <stdexcept>
#include <string>
#include <variant>

#include <mpfr.h>

#include "gradlab/io/npy.hpp"

namespace gradlab::io {

namespace {

std::vector<double> npy_floats(const npy_array& a, const std::filesystem::path& path, const char* role) {
    if (a.is_integer())
        throw std::invalid_argument("data set: " + std::string(role) + " file '" + path.string() +
                                    "' holds integers (" + std::string(npy_descr(a.dtype)) +
                                    "); it must hold floating-point values (<f4 or <f8)");
    return std::get<std::vector<double>>(a.values);
}

}  // namespace

nn::dataset read_dataset(const std::filesystem::path& x_path, const std::filesystem::path& y_path, int bits) {
    const auto x = read_npy(x_path);
    const auto y = read_npy(y_path);
    const std::string files = "x file '" + x_path.string() + "' and y file '" + y_path.string() + "'";
    if (x.rows() != y.rows())
        throw std::invalid_argument("data set: " + files + " hold " + std::to_string(x.rows()) + " and " +
                                    std::to_string(y.rows()) + " samples; they must hold as many");
    const auto x_values = npy_floats(x, x_path, "x");
    nn::dataset d{matrix<mp_float>(x.rows(), x.cols(), element_precision{bits}), {}, {}};
    for (std::size_t e = 0; e < x_values.size(); ++e) mpfr_set_d(d.x.elements()[e].backend().data(), x_values[e], MPFR_RNDN);
    if (!y.is_integer()) {
        const auto& y_values = std::get<std::vector<double>>(y.values);
        d.y = matrix<mp_float>(y.rows(), y.cols(), element_precision{bits});
        for (std::size_t e = 0; e < y_values.size(); ++e) mpfr_set_d(d.y.elements()[e].backend().data(), y_values[e], MPFR_RNDN);
        return d;
    }
    if (y.cols() != 1)
        throw std::invalid_argument("data set: y file '" + y_path.string() + "' holds integer labels of shape (" +
                                    std::to_string(y.rows()) + ", " + std::to_string(y.cols()) +
                                    "); labels must be one per sample, of shape (n,) or (n, 1)");
    d.labels = std::get<std::vector<std::int64_t>>(y.values);
    for (std::size_t i = 0; i < d.labels.size(); ++i)
        if (d.labels[i] < 0)
            throw std::invalid_argument("data set: y file '" + y_path.string() + "' holds the negative label " +
                                        std::to_string(d.labels[i]) + " at sample " + std::to_string(i));
    d.y = nn::label_values(d.labels, bits);
    return d;
}

}  // namespace gradlab::io
