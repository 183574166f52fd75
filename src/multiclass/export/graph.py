"""Building an ONNX graph a node at a time: `Graph` names values, holds initializers, and offers the few compound
steps the exporter needs (a constant, a standardization, the network's layers, softmax in float64)."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from multiclass.runtime.network import ERF_P, ERF_Q, ERF_R, ERF_S, ERF_T, ERF_U

__all__ = ["Graph"]


class Graph:
    """Nodes, initializers and inputs of one graph under construction."""

    def __init__(self) -> None:
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value, hint: str = "const") -> str:
        """An initializer holding `value` (a numpy array; strings as an object array)."""
        name = self.name(hint)
        array = np.asarray(value)
        if array.dtype.kind in "OU":
            tensor = helper.make_tensor(name, TensorProto.STRING, array.shape,
                                        [s.encode("utf-8") for s in array.reshape(-1).tolist()])
        else:
            tensor = numpy_helper.from_array(array, name)
        self.initializers.append(tensor)
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, *, domain: str = "", **attributes) -> str:
        """Add one node with one output; return the output's name."""
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], domain=domain, **attributes))
        return out

    def input(self, name: str, elem_type: int, shape: list) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def output(self, value: str, name: str, elem_type: int, shape: list) -> None:
        self.nodes.append(helper.make_node("Identity", [value], [name]))
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))

    # --- compound steps ------------------------------------------------------------------------------------------

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray) -> str:
        """x @ weight.T + bias in float32 (weight (out, in) as torch stores it)."""
        product = self.op("MatMul", [x, self.const(np.ascontiguousarray(weight.T.astype(np.float32)), "weight")])
        return self.op("Add", [product, self.const(bias.astype(np.float32), "bias")])

    def activation(self, x: str, name: str) -> str:
        if name == "relu":
            return self.op("Relu", [x])
        if name == "tanh":
            return self.op("Tanh", [x])
        if name == "sigmoid":
            return self.op("Sigmoid", [x])
        if name == "elu":
            return self.op("Elu", [x], alpha=1.0)
        if name == "gelu":  # exact GELU, 0.5 x (1 + erf(x / sqrt 2)), in float64 as the numpy runtime
            wide = self.op("Cast", [x], to=TensorProto.DOUBLE)
            erf = self.erf64(self.op("Mul", [wide, self.const(np.float64(np.sqrt(0.5)))]))
            one_plus = self.op("Add", [erf, self.const(np.float64(1.0))])
            half_x = self.op("Mul", [wide, self.const(np.float64(0.5))])
            return self.op("Cast", [self.op("Mul", [half_x, one_plus])], to=TensorProto.FLOAT)
        raise ValueError(f"no ONNX activation for {name!r}")

    def _poly(self, x: str, coefficients, *, monic: bool = False) -> str:
        """Horner's rule in float64, highest power first (`monic`: an implicit leading 1), in the order of
        `multiclass.runtime.network` so the results are the same bits."""
        if monic:
            result, rest = self.op("Add", [x, self.const(np.float64(coefficients[0]))]), coefficients[1:]
        else:
            first = self.op("Mul", [x, self.const(np.float64(coefficients[0]))])
            result, rest = self.op("Add", [first, self.const(np.float64(coefficients[1]))]), coefficients[2:]
        for c in rest:
            result = self.op("Add", [self.op("Mul", [result, x]), self.const(np.float64(c))])
        return result

    def erf64(self, x: str) -> str:
        """erf in float64 by the Cephes approximation of `multiclass.runtime.network.erf` (onnxruntime's Erf is
        float32 only, 5e-7 off near the GELU's tail)."""
        a = self.op("Abs", [x])
        squared = self.op("Mul", [x, x])
        inner = self.op("Div", [self.op("Mul", [x, self._poly(squared, ERF_T)]),
                                self._poly(squared, ERF_U, monic=True)])
        middle = self.op("Div", [self._poly(a, ERF_P), self._poly(a, ERF_Q, monic=True)])
        far = self.op("Div", [self._poly(a, ERF_R), self._poly(a, ERF_S, monic=True)])
        ratio = self.op("Where", [self.op("Less", [a, self.const(np.float64(8.0))]), middle, far])
        tail = self.op("Mul", [self.op("Exp", [self.op("Neg", [self.op("Mul", [a, a])])]), ratio])
        outer = self.op("Mul", [self.op("Sign", [x]), self.op("Sub", [self.const(np.float64(1.0)), tail])])
        return self.op("Where", [self.op("Less", [a, self.const(np.float64(1.0))]), inner, outer])

    def log_softmax64(self, x: str) -> str:
        """Row-wise log-softmax in float64 of a float32 or float64 (N, K) value."""
        return self.op("LogSoftmax", [self.op("Cast", [x], to=TensorProto.DOUBLE)], axis=1)
