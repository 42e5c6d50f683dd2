"""Neural-network layers in NumPy with hand-written backward passes.

The MLP, batch normalisation, convolution by im2col, pooling, convolution arithmetic and recurrent cells,
for Chapters 3 and 4. The PyTorch blocks the later chapters train with are in ``coursekit.layers``.
"""

from coursekit.nn.backprop import (
    ACTIVATIONS,
    linear_forward,
    linear_backward,
    activation_forward,
    activation_backward,
    dropout_forward,
    dropout_backward,
)
from coursekit.nn.conv import im2col, col2im, conv2d_loops, conv2d, conv2d_backward, conv1x1
from coursekit.nn.conv_arithmetic import (
    conv_output_size,
    conv_params,
    conv_macs,
    separable_params,
    separable_cost_ratio,
    receptive_field_growth,
    receptive_field,
    layer_specs,
    empirical_receptive_field,
)
from coursekit.nn.mlp import (
    INIT_SCHEMES,
    init_weight,
    MLPCache,
    MLP,
    numerical_gradient,
    sgd_momentum_step,
    mlp_to_torch,
)
from coursekit.nn.normalization import batchnorm_forward, batchnorm_backward, BatchNorm1d
from coursekit.nn.optim import minibatches, AdamState, adam_step
from coursekit.nn.pooling import (
    max_pool2d,
    max_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    global_avg_pool,
)
from coursekit.nn.recurrent import (
    sigmoid,
    rnn_cell_forward,
    lstm_cell_forward,
    rnn_forward,
    lstm_forward,
    rnn_state_jacobian_norms,
    params_from_torch,
    input_gradient_norms,
)

__all__ = [
    "ACTIVATIONS",
    "linear_forward",
    "linear_backward",
    "activation_forward",
    "activation_backward",
    "dropout_forward",
    "dropout_backward",
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
    "INIT_SCHEMES",
    "init_weight",
    "MLPCache",
    "MLP",
    "numerical_gradient",
    "sgd_momentum_step",
    "mlp_to_torch",
    "batchnorm_forward",
    "batchnorm_backward",
    "BatchNorm1d",
    "minibatches",
    "AdamState",
    "adam_step",
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
