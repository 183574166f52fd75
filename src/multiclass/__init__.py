"""multiclass: K-class classification with softmax neural networks."""

__version__ = "0.1.0"
