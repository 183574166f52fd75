"""The input fields a model expects: name, type, allowed categories, shape, whether null is allowed. Derived from
model.json by each feature map (`multiclass.runtime.features`); the server validates requests against it and
publishes it (OpenAPI, Open Inference Protocol metadata).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Field", "JSON_TYPES"]

# Field type -> the JSON type of one value in a request.
JSON_TYPES = {"number": "number", "boolean": "boolean", "category": "string", "text": "string",
              "image": "string", "tensor": "array"}


@dataclass(frozen=True)
class Field:
    """One input field.

    Attributes
    ----------
    name : str
    type : {"number", "boolean", "category", "text", "image", "tensor"}
        ``category`` also accepts numbers (3 and 3.0 are category "3"); ``image`` is the encoded file (base64 in
        JSON); ``tensor`` is a list of numbers of `shape`.
    nullable : bool
        Whether null (missing) is accepted: imputed numbers and booleans, the ``<missing>`` or ``<unknown>``
        category, the empty text.
    categories : tuple of str or None
        The training categories (others go to ``<unknown>``).
    shape : tuple of int or None
        A tensor's shape per row.
    """

    name: str
    type: str
    nullable: bool = True
    categories: tuple[str, ...] | None = None
    shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict:
        """JSON-able description, as published by the server."""
        out: dict = {"name": self.name, "type": self.type, "nullable": self.nullable}
        if self.categories is not None:
            out["categories"] = list(self.categories)
        if self.shape is not None:
            out["shape"] = list(self.shape)
        return out

    def json_schema(self) -> dict:
        """The JSON Schema of one value (OpenAPI 3.1)."""
        if self.type == "tensor":
            schema: dict = {"type": "array", "description": f"numbers of shape {list(self.shape or ())}"}
        elif self.type == "category":
            schema = {"type": ["string", "number"]}
            if self.categories is not None:
                schema["examples"] = list(self.categories[:5])
        elif self.type == "image":
            schema = {"type": "string", "contentEncoding": "base64"}
        else:
            schema = {"type": JSON_TYPES[self.type]}
        if self.nullable:
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema
