"""Attribute schemas: the attributes a program expects of its sites (name, type, allowed values, required).

The importer and the site services take an optional `AttributeSchema`; without one, attributes are free-form
(typed by the column header or by inference, see sites.values.parse_attribute). A schema is plain data so
it can be stored on a SiteImport (JSON) and rebuilt inside a Celery task from ids:

    schema = AttributeSchema.from_json([{"name": "store_format", "type": "str", "required": True,
                                         "allowed": ["mall", "street"]}])

Program-specific schemas (issue 3, "each program can declare the attributes it expects") plug in here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sites.choices import AttributeType
from sites.values import SiteValueError, attribute_type, clean_attribute_name, format_attribute, parse_attribute


@dataclass(frozen=True)
class AttributeSpec:
    """One expected attribute."""

    name: str
    type: str = AttributeType.STR
    required: bool = False
    allowed: tuple = ()

    def parse(self, text: str):
        """The typed value of a cell (the spec's type wins over inference), checked against `allowed`."""
        value = parse_attribute(text, self.type)
        self.check_allowed(value)
        return value

    def check(self, value) -> None:
        """Check a stored value's type and allowed values."""
        actual = attribute_type(value)
        if actual != self.type and not (self.type == AttributeType.FLOAT and actual == AttributeType.INT):
            raise SiteValueError(f"{self.name} must be {AttributeType(self.type).label.lower()}; got “{value}”.")
        self.check_allowed(value)

    def check_allowed(self, value) -> None:
        if self.allowed and value not in self.allowed:
            choices = ", ".join(format_attribute(choice) for choice in self.allowed)
            raise SiteValueError(f"“{format_attribute(value)}” is not allowed for {self.name}: use one of {choices}.")


@dataclass(frozen=True)
class AttributeSchema:
    """A set of AttributeSpecs, by name. Attributes not in the schema stay free-form."""

    specs: dict[str, AttributeSpec] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: list[dict] | None) -> AttributeSchema | None:
        if not data:
            return None
        specs = {}
        for item in data:
            spec = AttributeSpec(
                name=clean_attribute_name(item["name"]),
                type=AttributeType(item.get("type", AttributeType.STR)).value,
                required=bool(item.get("required", False)),
                allowed=tuple(item.get("allowed") or ()),
            )
            specs[spec.name] = spec
        return cls(specs=specs)

    def to_json(self) -> list[dict]:
        return [
            {"name": spec.name, "type": spec.type, "required": spec.required, "allowed": list(spec.allowed)}
            for spec in self.specs.values()
        ]

    def get(self, name: str) -> AttributeSpec | None:
        return self.specs.get(name)

    def missing(self, attributes: dict) -> list[str]:
        """Names of required attributes absent from `attributes`."""
        return [name for name, spec in self.specs.items() if spec.required and name not in attributes]

    def problems(self, attributes: dict) -> list[tuple[str, str]]:
        """(attribute name, message) for every attribute that breaks the schema, missing ones included."""
        found = [(name, f"The attribute {name} is required.") for name in self.missing(attributes)]
        for name, value in attributes.items():
            spec = self.specs.get(name)
            if spec is None:
                continue
            try:
                spec.check(value)
            except SiteValueError as error:
                found.append((name, str(error)))
        return found
