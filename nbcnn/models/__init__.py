"""The model zoo: PyTorch/torchvision layouts and names, so converted torchvision state_dicts load as they are."""
from .registry import MODELS, build_model, count_parameters, list_models
from .lenet import LeNet5, lenet5
from .alexnet import AlexNet, alexnet
from .vgg import VGG, vgg16, vgg19
from .resnet import ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101, resnet152
from .googlenet import GoogLeNet, Inception, googlenet
from .cifar_resnet import (CifarResNet, CifarBasicBlock, ZeroPadShortcut, resnet20, resnet32, resnet44, resnet56,
                           resnet110, plain20, plain32, plain44, plain56)
from .common import Identity
from .fastnet import FastNet, fastnet

__all__ = ["MODELS", "build_model", "count_parameters", "list_models", "LeNet5", "lenet5", "AlexNet", "alexnet",
           "VGG", "vgg16", "vgg19", "ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50",
           "resnet101", "resnet152", "GoogLeNet", "Inception", "googlenet",
           "CifarResNet", "CifarBasicBlock", "ZeroPadShortcut", "resnet20", "resnet32", "resnet44", "resnet56",
           "resnet110", "plain20", "plain32", "plain44", "plain56", "Identity", "FastNet", "fastnet"]
