"""Whole models, one file per architecture, each with a ``@dataclass`` config whose defaults train in
under a minute on two CPU cores.
"""

from coursekit.models.efficientnet import Scaling, compound_scaling
from coursekit.models.gpt import GPTConfig, GPT
from coursekit.models.lenet import LeNet5
from coursekit.models.resnet import ResNetSketch
from coursekit.models.small_cnn import SmallCNN
from coursekit.models.utils import count_parameters, count_weight_layers, init_parameters_
from coursekit.models.tiny_detector import (
    TinyDetectorConfig,
    TinyDetector,
    tiny_detector_loss,
    detect,
    train_tiny_detector,
)
from coursekit.models.vgg import VGGSketch

__all__ = [
    "Scaling",
    "compound_scaling",
    "GPTConfig",
    "GPT",
    "LeNet5",
    "ResNetSketch",
    "SmallCNN",
    "count_parameters",
    "count_weight_layers",
    "init_parameters_",
    "TinyDetectorConfig",
    "TinyDetector",
    "tiny_detector_loss",
    "detect",
    "train_tiny_detector",
    "VGGSketch",
]
