"""Neural-network layers in NumPy with hand-written backward passes: the MLP, batch normalisation,
convolution by im2col, pooling, convolution arithmetic and recurrent cells.

Chapters 3 and 4. The PyTorch blocks the later chapters train with are in ``coursekit.layers``.
"""

from coursekit.core.numerics import sigmoid
from coursekit.nn.conv import (
    col2im,
    conv1x1,
    conv2d,
    conv2d_backward,
    conv2d_loops,
    im2col,
)
from coursekit.nn.conv_arithmetic import (
    conv_macs,
    conv_output_size,
    conv_params,
    empirical_receptive_field,
    layer_specs,
    receptive_field,
    receptive_field_growth,
    separable_cost_ratio,
    separable_params,
)
from coursekit.nn.mlp import (
    ACTIVATIONS,
    INIT_SCHEMES,
    MLP,
    activation_backward,
    activation_forward,
    dropout_backward,
    dropout_forward,
    init_weight,
    linear_backward,
    linear_forward,
    mlp_to_torch,
    numerical_gradient,
    sgd_momentum_step,
)
from coursekit.nn.normalization import (
    BatchNorm1d,
    batchnorm_backward,
    batchnorm_forward,
)
from coursekit.nn.pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    global_avg_pool,
    max_pool2d,
    max_pool2d_backward,
)
from coursekit.nn.recurrent import (
    input_gradient_norms,
    lstm_cell_forward,
    lstm_forward,
    params_from_torch,
    rnn_cell_forward,
    rnn_forward,
    rnn_state_jacobian_norms,
)

__all__ = [
    "im2col",
    "col2im",
    "conv2d_loops",
    "conv2d",
    "conv2d_backward",
    "conv1x1",
    "conv_output_size",
    "conv_params",
    "conv_macs",
    "separable_params",
    "separable_cost_ratio",
    "receptive_field_growth",
    "receptive_field",
    "layer_specs",
    "empirical_receptive_field",
    "ACTIVATIONS",
    "INIT_SCHEMES",
    "init_weight",
    "linear_forward",
    "linear_backward",
    "activation_forward",
    "activation_backward",
    "dropout_forward",
    "dropout_backward",
    "MLP",
    "numerical_gradient",
    "sgd_momentum_step",
    "mlp_to_torch",
    "batchnorm_forward",
    "batchnorm_backward",
    "BatchNorm1d",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "global_avg_pool",
    "sigmoid",
    "rnn_cell_forward",
    "lstm_cell_forward",
    "rnn_forward",
    "lstm_forward",
    "rnn_state_jacobian_norms",
    "params_from_torch",
    "input_gradient_norms",
]
