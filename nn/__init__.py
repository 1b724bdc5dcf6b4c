"""labgrad's neural-network library: modules, layers, losses, initialisers and optimisers.

>>> import numpy as np
>>> import nn
>>> model = nn.MLP([2, 8, 1], rng=0)
>>> opt = nn.optim.Adam(model.parameters(), lr=0.05)
>>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
>>> y = np.array([[0], [1], [1], [0]], dtype=np.float32)       # XOR
>>> criterion = nn.BCEWithLogitsLoss()
>>> for _ in range(300):
...     opt.zero_grad()
...     loss = criterion(model(x), y)
...     loss.backward()
...     opt.step()
>>> bool(loss.item() < 0.1)
True
"""
from nn import functional, init, optim
from nn.module import LoadResult, Module, Parameter
from nn.layers import (MLP, BatchNorm1d, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ReLU,
                       Sequential, Sigmoid, Softmax, Tanh)
from nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from nn.optim import SGD, Adam, AdamW, CosineAnnealingLR, StepLR
from nn import data, metrics
from nn.training import evaluate, fit, predict
from nn.serialization import load, save

__all__ = [
    "Module", "Parameter", "LoadResult", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Dropout", "BatchNorm1d", "Flatten", "Identity", "Sequential", "MLP", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "SGD", "Adam", "AdamW", "StepLR", "CosineAnnealingLR",
    "functional", "init", "optim", "data", "metrics", "fit", "evaluate", "predict", "save", "load",
]
