"""Whole models, one file per architecture, each with a ``@dataclass`` config whose defaults train in
under a minute on two CPU cores.
"""

from coursekit.models.efficientnet import Scaling, compound_scaling
from coursekit.models.gpt import GPTConfig, GPT
from coursekit.models.heatmap_net import (
    HeatmapNetConfig,
    HeatmapNet,
    CoordinateNet,
    train_pose_net,
    predict_keypoints,
)
from coursekit.models.lenet import LeNet5Config, LeNet5
from coursekit.models.resnet import ResNetConfig, ResNetSketch
from coursekit.models.seq2seq import Seq2SeqConfig, Seq2SeqTransformer, seq2seq_loss, greedy_translate
from coursekit.models.small_cnn import SmallCNNConfig, SmallCNN
from coursekit.models.tiny_detector import (
    TinyDetectorConfig,
    TinyDetector,
    tiny_detector_loss,
    detect,
    train_tiny_detector,
)
from coursekit.models.unet import UNetConfig, UNet
from coursekit.models.utils import count_parameters, count_weight_layers, init_parameters_
from coursekit.models.vgg import VGGConfig, VGGSketch
from coursekit.models.vit import (
    ViTConfig,
    ViT,
    vit_preset,
    vit_parameter_count,
    vit_flops,
    deit_hard_distillation_loss,
    fit_digits_classifier,
)

__all__ = [
    "Scaling",
    "compound_scaling",
    "GPTConfig",
    "GPT",
    "HeatmapNetConfig",
    "HeatmapNet",
    "CoordinateNet",
    "train_pose_net",
    "predict_keypoints",
    "LeNet5Config",
    "LeNet5",
    "ResNetConfig",
    "ResNetSketch",
    "Seq2SeqConfig",
    "Seq2SeqTransformer",
    "seq2seq_loss",
    "greedy_translate",
    "SmallCNNConfig",
    "SmallCNN",
    "TinyDetectorConfig",
    "TinyDetector",
    "tiny_detector_loss",
    "detect",
    "train_tiny_detector",
    "UNetConfig",
    "UNet",
    "count_parameters",
    "count_weight_layers",
    "init_parameters_",
    "VGGConfig",
    "VGGSketch",
    "ViTConfig",
    "ViT",
    "vit_preset",
    "vit_parameter_count",
    "vit_flops",
    "deit_hard_distillation_loss",
    "fit_digits_classifier",
]
